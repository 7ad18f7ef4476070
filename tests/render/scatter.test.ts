import { describe, expect, it } from 'vitest';
import { dataBounds, getPixel, scatter, scatterTransform } from '../../src/core/render/index.ts';
import { SCATTER_PADDING } from '../../src/core/render/scatter.ts';

const RED = [200, 0, 0] as const;
const WHITE_PX = [255, 255, 255, 255];
const AXIS_PX = [215, 215, 215, 255];
const RED_PX = [200, 0, 0, 255];

describe('scatter', () => {
  const bounds = [-1, 1, -1, 1] as const;

  it('draws one point as a 3x3 square at its place, over the axes', () => {
    // size 101: the plot spans pixels 8..92, so (0, 0) lands on pixel (50, 50).
    const raster = scatter([{ points: [0, 0], color: RED, label: '' }], { size: 101, bounds });
    expect([raster.width, raster.height]).toEqual([101, 101]);
    for (let y = 49; y <= 51; y++) for (let x = 49; x <= 51; x++) expect(getPixel(raster, x, y)).toEqual(RED_PX);
    expect(getPixel(raster, 52, 50)).toEqual(AXIS_PX);
    expect(getPixel(raster, 50, 52)).toEqual(AXIS_PX);
    expect(getPixel(raster, 30, 30)).toEqual(WHITE_PX);
    expect(getPixel(raster, 0, 0)).toEqual(WHITE_PX);
  });

  it('puts y up and x right', () => {
    const raster = scatter([{ points: [0.5, -0.5], color: RED, label: '' }], { size: 101, bounds, radius: 0.5 });
    expect(getPixel(raster, 71, 71)).toEqual(RED_PX);
    expect(getPixel(raster, 72, 71)).toEqual(WHITE_PX);
    const to = scatterTransform(101, bounds);
    expect([to.x(-1), to.y(1), to.x(1), to.y(-1)]).toEqual([SCATTER_PADDING, SCATTER_PADDING, 100 - SCATTER_PADDING, 100 - SCATTER_PADDING]);
  });

  it('draws larger radii as discs', () => {
    const raster = scatter([{ points: [0, 0], color: RED, label: '' }], { size: 101, bounds, radius: 2.5 });
    let red = 0;
    for (let i = 0; i < raster.data.length; i += 4) if (raster.data[i] === 200) red++;
    expect(red).toBe(21); // lattice points within 2.5 of the centre
    expect(getPixel(raster, 48, 48)).toEqual(WHITE_PX); // corner of the 5x5 box, outside the disc
  });

  it('skips points outside the bounds and non-finite ones', () => {
    const raster = scatter([{ points: [5, 0, Number.NaN, 0, 0, Infinity], color: RED, label: '' }], { size: 101, bounds });
    expect(raster.data.some((v, i) => i % 4 === 0 && v === 200)).toBe(false);
  });

  it('draws later series on top and a legend with swatches', () => {
    const raster = scatter(
      [
        { points: [0, 0], color: [0, 0, 200], label: 'data' },
        { points: [0, 0], color: RED, label: 'samples' },
      ],
      { size: 101, bounds },
    );
    expect(getPixel(raster, 50, 50)).toEqual(RED_PX);
    // Legend box at (12, 12), 3px inner padding: swatches 7x7 at (15, 16) and one row (12px) lower.
    for (const [x, y] of [[15, 16], [21, 22]]) expect(getPixel(raster, x!, y!)).toEqual([0, 0, 200, 255]);
    for (const [x, y] of [[15, 28], [21, 34]]) expect(getPixel(raster, x!, y!)).toEqual(RED_PX);
    expect(getPixel(raster, 15, 23)).toEqual(WHITE_PX);
    expect(getPixel(raster, 11, 11)).toEqual([170, 170, 170, 255]);
  });

  it('derives square bounds from the data with a margin', () => {
    expect(dataBounds([{ points: [0, 0, 2, 1], color: RED, label: '' }]).map((v) => +v.toFixed(6))).toEqual([-0.05, 2.05, -0.55, 1.55]);
    expect(dataBounds([])).toEqual([-1, 1, -1, 1]);
    const raster = scatter([{ points: [0, 0, 2, 1], color: RED, label: '' }], { size: 101 });
    // The first point sits 0.05 of a 2.1 span from the left and 1.55 from the top.
    const to = scatterTransform(101, [-0.05, 2.05, -0.55, 1.55]);
    expect(getPixel(raster, Math.round(to.x(0)), Math.round(to.y(0)))).toEqual(RED_PX);
    expect(getPixel(raster, Math.round(to.x(2)), Math.round(to.y(1)))).toEqual(RED_PX);
  });

  it('rejects empty bounds', () => {
    expect(() => scatter([], { bounds: [0, 0, -1, 1] })).toThrow(/empty/);
  });
});
