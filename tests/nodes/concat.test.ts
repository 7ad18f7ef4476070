import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { concatNode } from '../../src/core/nodes/concat.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Concat', () => {
  it('joins along the last axis or a given one', () => {
    expect(inferNode('Concat', {}, { a: { shape: [2] }, b: { shape: [3] } }).outputs.y?.shape).toEqual(['B', 5]);
    expect(inferNode('Concat', { axis: 1 }, { a: { shape: [2, 4] }, b: { shape: [3, 4] } }).outputs.y?.shape).toEqual(['B', 5, 4]);
    expect(inferNode('Concat', { axis: -1 }, { a: { shape: [4, 4, 1] }, b: { shape: [4, 4, 2] } }).outputs.y?.shape).toEqual(['B', 4, 4, 3]);
  });

  it('reports shapes that disagree off the axis, and bad params', () => {
    expect(inferNode('Concat', {}, { a: { shape: [2, 4] }, b: { shape: [3, 4] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('Concat', {}, { a: { shape: [2] }, b: { shape: [2, 1] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('Concat', {}, { a: { shape: [] }, b: { shape: [] } }).codes).toEqual(['GC106@n.a']);
    expect(inferNode('Concat', { axis: 0 }, { a: { shape: [2] }, b: { shape: [2] } }).codes).toEqual(['GC106@n.a']);
    expect(inferNode('Concat', { axis: 4 }, { a: { shape: [2] }, b: { shape: [2] } }).codes).toEqual(['GC107@n']);
    // `at` is gone (the inverse reads a's shape) and there is no logdet port.
    expect(inferNode('Concat', { at: 2 }, { a: { shape: [2] }, b: { shape: [2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Concat', {}, { a: { shape: [2] }, b: { shape: [2] }, logdet: { shape: [] } }).codes).toEqual(['GC103@n']);
  });

  it('joins values, with no log-determinant output', async () => {
    const run = await runNode('Concat', {}, { a: { shape: [2, 1], values: [1, 4] }, b: { shape: [2, 2], values: [2, 3, 5, 6] } });
    expectClose(run.outputs.y!.values, [1, 2, 3, 4, 5, 6]);
    expect(Object.keys(run.outputs)).toEqual(['y']);
  });

  it('inverts by splitting where a ended, from the input shapes', async () => {
    // Unequal parts (a: 1, b: 2): y alone cannot say where to cut; inputShapes can.
    const run = await runNode('Concat', {}, { a: { shape: [2, 1], values: [1, 4] }, b: { shape: [2, 2], values: [2, 3, 5, 6] } });
    const y = tf.tensor(run.outputs.y!.values, run.outputs.y!.shape);
    const parts = concatNode.invertible!.inverse({ params: { axis: -1 }, outputs: { y }, inputs: {}, inputShapes: { a: [2, 1], b: [2, 2] }, vars: {} });
    expect([parts.a!.shape, parts.b!.shape]).toEqual([[2, 1], [2, 2]]);
    expect(Array.from(await parts.a!.data())).toEqual([1, 4]);
    expect(Array.from(await parts.b!.data())).toEqual([2, 3, 5, 6]);
    const halves = concatNode.invertible!.inverse({ params: { axis: -1 }, outputs: { y: tf.tensor([[1, 2, 3, 4]]) }, inputs: {}, inputShapes: { a: [1, 2], b: [1, 2] }, vars: {} });
    expectClose(Array.from(await halves.a!.data()), [1, 2]);
    expectClose(Array.from(await halves.b!.data()), [3, 4]);
  });
});
