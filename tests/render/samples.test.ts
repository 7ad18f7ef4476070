import { describe, expect, it } from 'vitest';
import { CHAR_VOCAB } from '../../src/core/data/datasets.ts';
import { decodeTokens, getPixel, imageGrid, renderSamples, scatter, textImage, type Raster } from '../../src/core/render/index.ts';

/** Deep equality on big typed arrays is slow in expect; compare bytes instead. */
function expectSame(actual: Raster, expected: Raster): void {
  expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
  expect(Buffer.from(actual.data.buffer).equals(Buffer.from(expected.data.buffer))).toBe(true);
}

describe('renderSamples', () => {
  it('draws [n, 784] as a grid of 28x28 tiles, upscaled twice', () => {
    const values = new Float32Array(4 * 784).fill(1);
    const raster = renderSamples({ values, shape: [4, 784] });
    expectSame(raster, imageGrid(values, 4, 28, 28, 1, { range: [0, 1], scale: 2 }));
    expect([raster.width, raster.height]).toEqual([2 * 56 + 3 * 2, 2 * 56 + 3 * 2]);
    expect(getPixel(raster, 2, 2)).toEqual([255, 255, 255, 255]);
  });

  it('draws any [n, D] with D a square above 16 as square tiles, and [n, 16] not at all', () => {
    const raster = renderSamples({ values: new Float32Array(3 * 25), shape: [3, 25] });
    expectSame(raster, imageGrid(new Float32Array(75), 3, 5, 5, 1, { range: [0, 1], scale: 11 }));
    expect(() => renderSamples({ values: new Float32Array(32), shape: [2, 16] })).toThrow(/no picture/);
  });

  it('draws [n, H, W, C] images in the range asked', () => {
    const values = new Float32Array(2 * 28 * 28).fill(0);
    const raster = renderSamples({ values, shape: [2, 28, 28, 1], range: [-1, 1] });
    expect(getPixel(raster, 2, 2)).toEqual([128, 128, 128, 255]);
    const rgb = renderSamples({ values: new Float32Array(2 * 8 * 8 * 3).fill(1), shape: [2, 8, 8, 3] });
    expectSame(rgb, imageGrid(new Float32Array(2 * 8 * 8 * 3).fill(1), 2, 8, 8, 3, { range: [0, 1], scale: 7 }));
  });

  it('draws [n, 2] as samples over the reference data', () => {
    const values = Float32Array.from([1, 1, -1, -1]);
    const reference = Float32Array.from([0, 0, 0.5, 0.5]);
    const raster = renderSamples({ family: 'flow', values, shape: [2, 2], reference });
    const expected = scatter([
      { points: reference, color: [170, 170, 170], label: 'data' },
      { points: values, color: [214, 39, 40], label: 'samples (flow)' },
    ]);
    expectSame(raster, expected);
  });

  it('draws texts as a text image', () => {
    expectSame(renderSamples({ texts: ['emma', 'olivia'] }), textImage(['emma', 'olivia']));
  });

  it('rejects shapes that do not fit the values or have no picture', () => {
    expect(() => renderSamples({ values: new Float32Array(10), shape: [2, 784] })).toThrow(/does not fit/);
    expect(() => renderSamples({ values: new Float32Array(6), shape: [2, 3] })).toThrow(/no picture/);
    expect(() => renderSamples({ values: new Float32Array(2 * 4 * 4 * 2), shape: [2, 4, 4, 2] })).toThrow(/no picture/);
  });
});

describe('decodeTokens', () => {
  it('reads characters up to the stop token, skipping pads', () => {
    const id = (c: string) => CHAR_VOCAB.indexOf(c as (typeof CHAR_VOCAB)[number]);
    const tokens = [[...'emma'].map(id).concat([1, 0, 0]), [...'ava'].map(id).concat([1, 5, 6]), [0, id('b'), id('o')]];
    expect(decodeTokens(tokens, CHAR_VOCAB)).toEqual(['emma', 'ava', 'bo']);
  });
});
