/** PNG files for rasters drawn by core/render; Node only, the browser uses a canvas instead. */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Raster } from '../core/render/raster.ts';

export function encodePng(raster: Raster): Buffer {
  const { width, height, data } = raster;
  if (data.length !== width * height * 4) throw new Error(`raster ${width}x${height} has ${data.length} bytes, expected ${width * height * 4}`);
  const png = new PNG({ width, height });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return PNG.sync.write(png);
}

export function writePng(path: string, raster: Raster): void {
  writeFileSync(path, encodePng(raster));
}
