import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/core/train/gradients.ts';
import { straightThroughNode } from '../../src/core/nodes/straight-through.ts';
import { inferNode, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

describe('StraightThrough', () => {
  it('needs value and gradient of one shape', () => {
    expect(inferNode('StraightThrough', {}, { value: { shape: [4, 2] }, gradient: { shape: [4, 2] } }).outputs.y?.shape).toEqual(['B', 4, 2]);
    expect(inferNode('StraightThrough', {}, { value: { shape: [4, 2] }, gradient: { shape: [2, 4] } }).codes).toEqual(['GC106@n.gradient']);
    expect(inferNode('StraightThrough', {}, { value: { shape: [4] } }).codes).toEqual(['GC102@n.gradient']);
  });

  it('outputs the value exactly', async () => {
    // In float32 g + (v − g) would lose v: 1 + (1e-8 − 1) = 0 and 1e8 + (2 − 1e8) = 0. The node outputs v itself.
    const run = await runNode('StraightThrough', {}, { value: { shape: [1, 3], values: [1e-8, 2, -3] }, gradient: { shape: [1, 3], values: [1, 1e8, 0.3] } });
    expect(run.outputs.y!.values).toEqual([Math.fround(1e-8), 2, -3]);
  });

  it('sends the gradient to its gradient input as if it were the identity, and none to the value', () => {
    // d sum(R · y) / dg = R, d / dv = 0.
    const g = gradientsOf(
      straightThroughNode,
      {},
      { value: tf.tensor([[1, 0, 1]]), gradient: tf.tensor([[0.8, 0.2, 0.6]]) },
      {},
      { weights: tf.tensor([[2, -3, 0.5]]) },
    );
    expect(g['in:gradient']).toEqual([2, -3, 0.5]);
    expect(g['in:value']).toEqual([0, 0, 0]);
  });
});
