import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { splitNode } from '../../src/core/nodes/split.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Split', () => {
  it('cuts the last axis in half by default, or at a given point', () => {
    const even = inferNode('Split', {}, { x: { shape: [6] } }).outputs;
    expect([even.a?.shape, even.b?.shape]).toEqual([['B', 3], ['B', 3]]);
    // Volume-preserving: no log-determinant output.
    expect(Object.keys(even)).toEqual(['a', 'b']);
    const odd = inferNode('Split', {}, { x: { shape: [5] } }).outputs;
    expect([odd.a?.shape, odd.b?.shape]).toEqual([['B', 2], ['B', 3]]);
    const at = inferNode('Split', { at: 1 }, { x: { shape: [5] } }).outputs;
    expect([at.a?.shape, at.b?.shape]).toEqual([['B', 1], ['B', 4]]);
    const axis = inferNode('Split', { axis: 1 }, { x: { shape: [4, 6] } }).outputs;
    expect([axis.a?.shape, axis.b?.shape]).toEqual([['B', 2, 6], ['B', 2, 6]]);
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('Split', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Split', {}, { x: { shape: [1] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Split', { at: 6 }, { x: { shape: [6] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Split', { axis: 0 }, { x: { shape: [6] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Split', { axis: 2 }, { x: { shape: [6] } }).codes).toEqual(['GC106@n.x']);
    // No logdet input to wire.
    expect(inferNode('Split', {}, { x: { shape: [6] }, logdet: { shape: [] } }).codes).toEqual(['GC103@n']);
    expect(inferNode('Split', { at: 0 }, { x: { shape: [6] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Split', { axis: 4 }, { x: { shape: [6] } }).codes).toEqual(['GC107@n']);
  });

  it('splits values', async () => {
    const run = await runNode('Split', { at: 1 }, { x: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] } });
    expect(run.outputs.a!.shape).toEqual([2, 1]);
    expectClose(run.outputs.a!.values, [1, 4]);
    expectClose(run.outputs.b!.values, [2, 3, 5, 6]);
    expect(Object.keys(run.outputs)).toEqual(['a', 'b']);
  });

  it('inverts by concatenating', async () => {
    const a = tf.tensor([[1], [4]]);
    const b = tf.tensor([[2, 3], [5, 6]]);
    const { x } = splitNode.invertible!.inverse({ params: { axis: -1, at: 1 }, outputs: { a, b }, inputs: {}, inputShapes: { x: [2, 3] }, vars: {} });
    expectClose(Array.from(await x!.data()), [1, 2, 3, 4, 5, 6]);
    expect(x!.shape).toEqual([2, 3]);
  });
});
