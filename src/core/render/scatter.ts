import { CHAR_ADVANCE, drawText, GLYPH_HEIGHT, measureText } from './font.ts';
import { createRaster, fillRect, setPixel, type Raster, type Rgb } from './raster.ts';

export interface ScatterSeries {
  /** Interleaved coordinates x0, y0, x1, y1, ... */
  points: Float32Array | readonly number[];
  color: Rgb;
  /** Shown in the legend; an empty label leaves the series out of it. */
  label: string;
}

export interface ScatterOptions {
  /** Width and height in pixels (default 480). */
  size?: number;
  /** [xmin, xmax, ymin, ymax]; by default the data's extent plus a margin, equal on both axes. */
  bounds?: readonly [number, number, number, number];
  /** Point radius in pixels (default 1.5: a 3x3 square). */
  radius?: number;
}

/** Pixels between the image edge and the plot frame. */
export const SCATTER_PADDING = 8;
const AXIS: Rgb = [215, 215, 215];
const FRAME: Rgb = [170, 170, 170];

/**
 * Maps data to pixels, y up: xmin to column SCATTER_PADDING, xmax to
 * size - 1 - SCATTER_PADDING, and ymax, ymin likewise to rows.
 */
export function scatterTransform(size: number, bounds: readonly [number, number, number, number]) {
  const [xmin, xmax, ymin, ymax] = bounds;
  const span = size - 1 - 2 * SCATTER_PADDING;
  return {
    x: (x: number) => SCATTER_PADDING + ((x - xmin) / (xmax - xmin)) * span,
    y: (y: number) => SCATTER_PADDING + ((ymax - y) / (ymax - ymin)) * span,
  };
}

/** The data's extent, widened by 5% a side and to a square so shapes keep their aspect. */
export function dataBounds(series: readonly ScatterSeries[]): [number, number, number, number] {
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const { points } of series) {
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = points[i]!, y = points[i + 1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xmin = Math.min(xmin, x); xmax = Math.max(xmax, x);
      ymin = Math.min(ymin, y); ymax = Math.max(ymax, y);
    }
  }
  if (xmin > xmax) return [-1, 1, -1, 1];
  const half = Math.max((xmax - xmin) / 2, (ymax - ymin) / 2, 1e-6) * 1.05;
  const cx = (xmin + xmax) / 2, cy = (ymin + ymax) / 2;
  return [cx - half, cx + half, cy - half, cy + half];
}

/** A square scatter plot: white background, light axes through 0, a frame, points, and a legend top-left. */
export function scatter(series: readonly ScatterSeries[], options: ScatterOptions = {}): Raster {
  const size = options.size ?? 480;
  if (!Number.isInteger(size) || size < 2 * SCATTER_PADDING + 2) throw new Error(`scatter: size must be an integer >= ${2 * SCATTER_PADDING + 2}, got ${size}`);
  const bounds = options.bounds ?? dataBounds(series);
  const [xmin, xmax, ymin, ymax] = bounds;
  if (!(xmax > xmin) || !(ymax > ymin)) throw new Error(`scatter: bounds [${bounds.join(', ')}] are empty`);
  const radius = options.radius ?? 1.5;
  const raster = createRaster(size, size);
  const to = scatterTransform(size, bounds);
  const lo = SCATTER_PADDING, hi = size - 1 - SCATTER_PADDING, span = hi - lo + 1;

  if (xmin <= 0 && 0 <= xmax) fillRect(raster, Math.round(to.x(0)), lo, 1, span, AXIS);
  if (ymin <= 0 && 0 <= ymax) fillRect(raster, lo, Math.round(to.y(0)), span, 1, AXIS);
  fillRect(raster, lo - 1, lo - 1, span + 2, 1, FRAME);
  fillRect(raster, lo - 1, hi + 1, span + 2, 1, FRAME);
  fillRect(raster, lo - 1, lo - 1, 1, span + 2, FRAME);
  fillRect(raster, hi + 1, lo - 1, 1, span + 2, FRAME);

  const reach = Math.ceil(radius);
  for (const { points, color } of series) {
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = points[i]!, y = points[i + 1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || x < xmin || x > xmax || y < ymin || y > ymax) continue;
      const px = to.x(x), py = to.y(y);
      const cx = Math.round(px), cy = Math.round(py);
      for (let dy = -reach; dy <= reach; dy++) {
        for (let dx = -reach; dx <= reach; dx++) {
          const ex = cx + dx - px, ey = cy + dy - py;
          if (ex * ex + ey * ey <= radius * radius) setPixel(raster, cx + dx, cy + dy, color);
        }
      }
    }
  }
  drawLegend(raster, series.filter((s) => s.label !== ''), size >= 360 ? 2 : 1);
  return raster;
}

function drawLegend(raster: Raster, entries: readonly ScatterSeries[], scale: number): void {
  if (entries.length === 0) return;
  const pad = 3 * scale;
  const swatch = 7 * scale;
  const row = (GLYPH_HEIGHT + 3) * scale;
  const textWidth = Math.max(...entries.map((e) => measureText(e.label, scale).width));
  const width = pad * 2 + swatch + CHAR_ADVANCE * scale + textWidth;
  const height = pad * 2 + entries.length * row - 3 * scale;
  const left = SCATTER_PADDING + 4, top = SCATTER_PADDING + 4;
  fillRect(raster, left - 1, top - 1, width + 2, height + 2, FRAME);
  fillRect(raster, left, top, width, height, [255, 255, 255]);
  entries.forEach((entry, i) => {
    const y = top + pad + i * row;
    fillRect(raster, left + pad, y + scale, swatch, swatch, entry.color);
    drawText(raster, entry.label, left + pad + swatch + CHAR_ADVANCE * scale, y, [40, 40, 40], scale);
  });
}
