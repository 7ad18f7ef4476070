import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { inversePermutation, permutation, permuteNode } from '../../src/core/nodes/permute.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Permute', () => {
  it('keeps the shape', () => {
    const out = inferNode('Permute', {}, { x: { shape: [5] } }).outputs;
    expect([out.y?.shape, out.logdet?.shape]).toEqual([['B', 5], ['B']]);
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('Permute', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Permute', {}, { x: { shape: [5] }, logdet: { shape: [5] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('Permute', { mode: 'shuffle' }, { x: { shape: [5] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Permute', { seed: -1 }, { x: { shape: [5] } }).codes).toEqual(['GC107@n']);
  });

  it('reverses the last axis with log-determinant 0', async () => {
    const run = await runNode('Permute', {}, { x: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, logdet: { shape: [2], values: [0.5, 2] } });
    expectClose(run.outputs.y!.values, [3, 2, 1, 6, 5, 4]);
    expectClose(run.outputs.logdet!.values, [0.5, 2]);
    const fresh = await runNode('Permute', {}, { x: { shape: [1, 2], values: [1, 2] } });
    expectClose(fresh.outputs.logdet!.values, [0]);
  });

  it('shuffles reproducibly from the seed', async () => {
    const order = permutation(6, 'random', 42);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(permutation(6, 'random', 42)).toEqual(order);
    expect(permutation(6, 'random', 43)).not.toEqual(order);
    expect(inversePermutation([2, 0, 1])).toEqual([1, 2, 0]);
    // y[j] = x[order[j]]
    const run = await runNode('Permute', { mode: 'random', seed: 42 }, { x: { shape: [1, 6], values: [10, 11, 12, 13, 14, 15] } });
    expectClose(run.outputs.y!.values, order.map((i) => 10 + i));
  });

  it('inverts, on the channels of an image too', async () => {
    const x = tf.tensor(Array.from({ length: 12 }, (_, i) => i), [1, 2, 2, 3]);
    const params = { mode: 'random' as const, seed: 7 };
    const { y } = permuteNode.forward!({ params, inputs: { x }, vars: {}, outputShapes: {}, batchSize: 1, training: false, random: undefined as never, feeds: {} });
    const back = permuteNode.invertible!.inverse({ params, outputs: { y: y! }, inputs: {}, inputShapes: { x: [1, 2, 2, 3] }, vars: {} });
    expectClose(Array.from(await back.x!.data()), Array.from({ length: 12 }, (_, i) => i));
  });
});
