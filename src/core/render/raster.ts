/** An RGBA image, row-major, 4 bytes a pixel: what both the PNG writer and a canvas ImageData take. */
export type Raster = { width: number; height: number; data: Uint8ClampedArray };

export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

export function createRaster(width: number, height: number, fill: Rgb = WHITE): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`raster size must be positive integers, got ${width}x${height}`);
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
    data[i + 3] = 255;
  }
  return { width, height, data };
}

/** Sets one pixel; outside the raster it does nothing, so callers can draw near edges freely. */
export function setPixel(raster: Raster, x: number, y: number, color: Rgb): void {
  if (x < 0 || y < 0 || x >= raster.width || y >= raster.height) return;
  const i = (y * raster.width + x) * 4;
  raster.data[i] = color[0];
  raster.data[i + 1] = color[1];
  raster.data[i + 2] = color[2];
  raster.data[i + 3] = 255;
}

export function getPixel(raster: Raster, x: number, y: number): [number, number, number, number] {
  const i = (y * raster.width + x) * 4;
  const d = raster.data;
  return [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!];
}

/** Fills [x, x + w) x [y, y + h), clipped to the raster. */
export function fillRect(raster: Raster, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(raster.width, x + w);
  const y1 = Math.min(raster.height, y + h);
  for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) setPixel(raster, px, py, color);
}
