import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dropoutNode } from '../../src/core/nodes/dropout.ts';
import type { RandomSource } from '../../src/core/nodes/types.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

/** Uniform draws fixed in advance. */
const fixedRandom = (u: number[]): RandomSource => ({
  uniform: (shape) => tf.tensor(u, [...shape]),
  normal: () => {
    throw new Error('not used');
  },
  integers: () => {
    throw new Error('not used');
  },
});

const x = { shape: [1, 4], values: [1, 2, 3, 4] };

describe('Dropout', () => {
  it('keeps the shape; rate must lie in [0, 0.95]', () => {
    expect(inferNode('Dropout', {}, { x: { shape: [3, 5] } }).outputs.y?.shape).toEqual(['B', 3, 5]);
    expect(inferNode('Dropout', { rate: 0.96 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Dropout', { rate: -0.1 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('is the identity outside training', async () => {
    expectClose((await runNode('Dropout', { rate: 0.5 }, { x })).outputs.y!.values, [1, 2, 3, 4]);
  });

  it('drops where the uniform draw is below the rate and scales the rest, by hand', async () => {
    // u = [0.1, 0.5, 0.9, 0.3], rate 0.4: keep [0, 1, 1, 0], scale 1 / 0.6: [0, 2/0.6, 3/0.6, 0].
    const run = await runNode('Dropout', { rate: 0.4 }, { x }, {}, { training: true, random: fixedRandom([0.1, 0.5, 0.9, 0.3]) });
    expectClose(run.outputs.y!.values, [0, 2 / 0.6, 3 / 0.6, 0]);
  });

  it('keeps about 1 - rate of the values with the seeded source, and the mean', async () => {
    const n = 4000;
    const run = await runNode('Dropout', { rate: 0.25 }, { x: { shape: [1, n], values: new Array(n).fill(1) } }, {}, { training: true, seed: 11 });
    const kept = run.outputs.y!.values.filter((v) => v !== 0);
    expect(kept.length / n).toBeGreaterThan(0.72);
    expect(kept.length / n).toBeLessThan(0.78);
    expectClose([kept[0]!], [1 / 0.75]);
  });

  it('passes gradients only through the kept values', () => {
    const g = gradientsOf(dropoutNode, { rate: 0.5 }, { x: tf.ones([1, 4]) }, {}, { random: fixedRandom([0.1, 0.5, 0.9, 0.3]) });
    expectClose(g['in:x']!, [0, 2, 2, 0]);
  });
});
