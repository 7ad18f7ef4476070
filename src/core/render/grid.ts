import { createRaster, type Raster, type Rgb } from './raster.ts';

export interface ImageGridOptions {
  /** Values mapped to 0 and 255; outside it they clamp. */
  range: readonly [number, number];
  /** Tiles a row; by default the smallest square that holds them all. */
  columns?: number;
  /** Integer upscaling of each image pixel (default 1). */
  scale?: number;
  /** Background pixels between tiles and around the grid (default 2). */
  gap?: number;
  /** Colour of the gaps and of empty cells (default mid grey, to part black-background digits). */
  background?: Rgb;
}

/**
 * Tiles `count` images, stored NHWC one after another, into a grid. Tile i
 * sits at column i % columns, row floor(i / columns); with gap g and scale s
 * its top-left pixel is (g + col * (w * s + g), g + row * (h * s + g)).
 */
export function imageGrid(
  values: Float32Array | readonly number[],
  count: number,
  height: number,
  width: number,
  channels: 1 | 3,
  options: ImageGridOptions,
): Raster {
  const { range } = options;
  const scale = options.scale ?? 1;
  const gap = options.gap ?? 2;
  for (const [name, v, min] of [['count', count, 1], ['height', height, 1], ['width', width, 1], ['scale', scale, 1], ['gap', gap, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`imageGrid: ${name} must be an integer >= ${min}, got ${v}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`imageGrid: channels must be 1 or 3, got ${channels}`);
  const size = height * width * channels;
  if (values.length < count * size) {
    throw new Error(`imageGrid: ${count} images of ${height}x${width}x${channels} need ${count * size} values, got ${values.length}`);
  }
  const [lo, hi] = range;
  if (!(hi > lo)) throw new Error(`imageGrid: range [${lo}, ${hi}] is empty`);
  const columns = Math.min(options.columns ?? Math.ceil(Math.sqrt(count)), count);
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`imageGrid: columns must be a positive integer, got ${options.columns}`);
  const rows = Math.ceil(count / columns);
  const tileW = width * scale;
  const tileH = height * scale;
  const raster = createRaster(columns * (tileW + gap) + gap, rows * (tileH + gap) + gap, options.background ?? [128, 128, 128]);
  const out = raster.data;
  const factor = 255 / (hi - lo);
  const level = (v: number) => (Number.isNaN(v) ? 0 : Math.round(Math.min(255, Math.max(0, (v - lo) * factor))));
  for (let n = 0; n < count; n++) {
    const left = gap + (n % columns) * (tileW + gap);
    const top = gap + Math.floor(n / columns) * (tileH + gap);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const src = n * size + (y * width + x) * channels;
        const r = level(values[src]!);
        const g = channels === 3 ? level(values[src + 1]!) : r;
        const b = channels === 3 ? level(values[src + 2]!) : r;
        for (let sy = 0; sy < scale; sy++) {
          let dst = ((top + y * scale + sy) * raster.width + left + x * scale) * 4;
          for (let sx = 0; sx < scale; sx++, dst += 4) {
            out[dst] = r;
            out[dst + 1] = g;
            out[dst + 2] = b;
          }
        }
      }
    }
  }
  return raster;
}
