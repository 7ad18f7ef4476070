import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchNormNode } from '../../src/core/nodes/batch-norm.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

describe('BatchNorm', () => {
  it('keeps the shape and learns one gamma and beta per channel', () => {
    const img = inferNode('BatchNorm', {}, { x: { shape: [7, 7, 16] } });
    expect(img.outputs.y?.shape).toEqual(['B', 7, 7, 16]);
    expect(img.analysis.nodes.get('n')!.paramCount).toBe(32);
    expect(inferNode('BatchNorm', {}, { x: { shape: [10] } }).outputs.y?.shape).toEqual(['B', 10]);
  });

  it('rejects a bare batch and out-of-range params', () => {
    expect(inferNode('BatchNorm', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('BatchNorm', { momentum: 1.5 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('BatchNorm', { epsilon: 0 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
  });

  it('normalises each feature over the batch, by hand', async () => {
    // x = [[1, 10], [3, 30]]: feature 0 has mean 2, variance 1; feature 1 mean 20, variance 100.
    // y = gamma · (x - mean) / sqrt(var + eps) + beta with gamma = [2, 1], beta = [0, 5], eps = 1e-3.
    const eps = 1e-3;
    const run = await runNode('BatchNorm', {}, { x: { shape: [2, 2], values: [1, 10, 3, 30] } }, { gamma: [2, 1], beta: [0, 5] });
    const a = 2 / Math.sqrt(1 + eps);
    const b = 10 / Math.sqrt(100 + eps);
    expectClose(run.outputs.y!.values, [-a, 5 - b, a, 5 + b]);
  });

  it('pools the statistics over batch, height and width of an image', async () => {
    // One channel, values 1..4 spread over 2 examples × 1 × 2 pixels: mean 2.5, variance 1.25.
    const run = await runNode('BatchNorm', { epsilon: 0.05 }, { x: { shape: [2, 1, 2, 1], values: [1, 2, 3, 4] } }, {}, { training: true });
    const s = Math.sqrt(1.25 + 0.05);
    expectClose(run.outputs.y!.values, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
  });

  it('passes gradients through the batch statistics', () => {
    // Normalised values sum to zero whatever x is, so d sum(y) / dx = 0; gamma gets sum(normed) = 0, beta the count.
    const g = gradientsOf(batchNormNode, {}, { x: tf.tensor2d([1, 2, 4], [3, 1]) }, { gamma: tf.ones([1]), beta: tf.zeros([1]) });
    expectClose(g['in:x']!, [0, 0, 0], 1e-4);
    expectClose(g.gamma!, [0], 1e-4);
    expectClose(g.beta!, [3]);
    // With weights on the outputs the gradient reaches x: it is non-zero for the first example.
    const w = gradientsOf(batchNormNode, {}, { x: tf.tensor2d([1, 2, 4], [3, 1]) }, { gamma: tf.ones([1]), beta: tf.zeros([1]) }, { weights: tf.tensor2d([1, 0, 0], [3, 1]) });
    expect(Math.abs(w['in:x']![0]!)).toBeGreaterThan(0.01);
  });
});
