import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { upsample2dNode } from '../../src/core/nodes/upsample2d.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

describe('Upsample2D', () => {
  it('multiplies height and width by the factor', () => {
    expect(inferNode('Upsample2D', {}, { x: { shape: [7, 7, 64] } }).outputs.y?.shape).toEqual(['B', 14, 14, 64]);
    expect(inferNode('Upsample2D', { factor: 3 }, { x: { shape: [2, 5, 1] } }).outputs.y?.shape).toEqual(['B', 6, 15, 1]);
  });

  it('rejects non-images and bad factors', () => {
    expect(inferNode('Upsample2D', {}, { x: { shape: [7, 7] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Upsample2D', { factor: 0 }, { x: { shape: [2, 2, 1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Upsample2D', { factor: 1.5 }, { x: { shape: [2, 2, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('repeats each pixel factor × factor times, by hand', async () => {
    const run = await runNode('Upsample2D', {}, { x: { shape: [1, 2, 2, 1], values: [1, 2, 3, 4] } });
    expect(run.outputs.y!.shape).toEqual([1, 4, 4, 1]);
    expectClose(run.outputs.y!.values, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('keeps batch items and channels apart', async () => {
    // Two examples of one 1×2 row with channels (a, b): y[n, i, j, c] = x[n, floor(i / 3), floor(j / 3), c].
    const values = [1, -1, 2, -2, 10, -10, 20, -20];
    const run = await runNode('Upsample2D', { factor: 3 }, { x: { shape: [2, 1, 2, 2], values } });
    expect(run.outputs.y!.shape).toEqual([2, 3, 6, 2]);
    const expected: number[] = [];
    for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) for (let j = 0; j < 6; j++) for (let c = 0; c < 2; c++) expected.push(values[n * 4 + Math.floor(j / 3) * 2 + c]!);
    expectClose(run.outputs.y!.values, expected);
  });

  it('sums the gradient of the copies back onto each pixel', () => {
    // Output weights 1..16 over the 4×4 result; each input pixel collects its 2×2 block.
    const weights = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    const g = gradientsOf(upsample2dNode, {}, { x: tf.zeros([1, 2, 2, 1]) }, {}, { weights });
    // (1+2+5+6, 3+4+7+8, 9+10+13+14, 11+12+15+16)
    expectClose(g['in:x']!, [14, 22, 46, 54]);
  });
});
