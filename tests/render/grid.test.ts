import { describe, expect, it } from 'vitest';
import { getPixel, imageGrid } from '../../src/core/render/index.ts';

const grey = (raster: ReturnType<typeof imageGrid>, x: number, y: number) => getPixel(raster, x, y)[0];

describe('imageGrid', () => {
  // Four 2x2 grey images; image n holds n*4 + (y*2 + x), scaled to 0..15.
  const values = Float32Array.from({ length: 16 }, (_, i) => i / 15);

  it('tiles a 2x2 grid of 2x2 images with gaps, row by row', () => {
    const raster = imageGrid(values, 4, 2, 2, 1, { range: [0, 1], gap: 1, background: [7, 8, 9] });
    expect([raster.width, raster.height]).toEqual([7, 7]);
    // Layout: gap, tile 0, gap, tile 1, gap across; same down.
    const rows: number[][] = [];
    for (let y = 0; y < 7; y++) rows.push(Array.from({ length: 7 }, (_, x) => grey(raster, x, y)!));
    const v = (i: number) => Math.round((i / 15) * 255);
    expect(rows).toEqual([
      [7, 7, 7, 7, 7, 7, 7],
      [7, v(0), v(1), 7, v(4), v(5), 7],
      [7, v(2), v(3), 7, v(6), v(7), 7],
      [7, 7, 7, 7, 7, 7, 7],
      [7, v(8), v(9), 7, v(12), v(13), 7],
      [7, v(10), v(11), 7, v(14), v(15), 7],
      [7, 7, 7, 7, 7, 7, 7],
    ]);
    expect(getPixel(raster, 0, 0)).toEqual([7, 8, 9, 255]);
    expect(getPixel(raster, 2, 2)).toEqual([v(3), v(3), v(3), 255]);
  });

  it('upscales by an integer factor', () => {
    const raster = imageGrid(values, 4, 2, 2, 1, { range: [0, 1], gap: 0, scale: 3 });
    expect([raster.width, raster.height]).toEqual([12, 12]);
    // Pixel (1, 0) of tile 1 covers x 9..11, y 0..2.
    for (let y = 0; y < 3; y++) for (let x = 9; x < 12; x++) expect(grey(raster, x, y)).toBe(Math.round((5 / 15) * 255));
    expect(grey(raster, 8, 0)).toBe(Math.round((4 / 15) * 255));
  });

  it('maps the range to 0..255 and clamps outside it', () => {
    const raster = imageGrid([-3, -1, 0, 1, 5, Number.NaN], 6, 1, 1, 1, { range: [-1, 1], columns: 6, gap: 0 });
    expect([raster.width, raster.height]).toEqual([6, 1]);
    expect(Array.from({ length: 6 }, (_, x) => grey(raster, x, 0))).toEqual([0, 0, 128, 255, 255, 0]);
  });

  it('draws colour images from NHWC values', () => {
    const rgb = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0.5]; // one 2x2 image: red, green / blue, grey
    const raster = imageGrid(rgb, 1, 2, 2, 3, { range: [0, 1], gap: 0 });
    expect(getPixel(raster, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(getPixel(raster, 1, 0)).toEqual([0, 255, 0, 255]);
    expect(getPixel(raster, 0, 1)).toEqual([0, 0, 255, 255]);
    expect(getPixel(raster, 1, 1)).toEqual([128, 128, 128, 255]);
  });

  it('leaves cells past the last image as background and honours columns', () => {
    const raster = imageGrid(new Float32Array(5), 5, 1, 1, 1, { range: [0, 1], gap: 1, background: [200, 200, 200] });
    // ceil(sqrt(5)) = 3 columns, 2 rows.
    expect([raster.width, raster.height]).toEqual([7, 5]);
    expect(grey(raster, 3, 3)).toBe(0); // image 4
    expect(grey(raster, 5, 3)).toBe(200); // empty sixth cell
    const wide = imageGrid(new Float32Array(5), 5, 1, 1, 1, { range: [0, 1], gap: 1, columns: 5 });
    expect([wide.width, wide.height]).toEqual([11, 3]);
  });

  it('rejects values too short for the images and bad options', () => {
    expect(() => imageGrid(new Float32Array(15), 4, 2, 2, 1, { range: [0, 1] })).toThrow(/need 16 values/);
    expect(() => imageGrid(values, 4, 2, 2, 1, { range: [1, 1] })).toThrow(/empty/);
    expect(() => imageGrid(values, 4, 2, 2, 1, { range: [0, 1], scale: 1.5 })).toThrow(/scale/);
  });
});
