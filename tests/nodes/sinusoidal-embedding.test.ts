import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { sinusoidalEmbeddingNode, timestepFrequencies } from '../../src/core/nodes/sinusoidal-embedding.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('SinusoidalEmbedding', () => {
  it('maps timesteps [B] to [B, dim]', () => {
    expect(inferNode('SinusoidalEmbedding', { dim: 32 }, { t: { shape: [], dtype: 'int' } }).outputs.y?.shape).toEqual(['B', 32]);
  });

  it('rejects odd dims, a float input and extra axes', () => {
    expect(inferNode('SinusoidalEmbedding', { dim: 7 }, { t: { shape: [], dtype: 'int' } }).codes).toEqual(['GC107@n']);
    expect(inferNode('SinusoidalEmbedding', { dim: 0 }, { t: { shape: [], dtype: 'int' } }).codes).toEqual(['GC107@n']);
    expect(inferNode('SinusoidalEmbedding', {}, { t: { shape: [3], dtype: 'int' } }).codes).toEqual(['GC106@n.t']);
    expect(inferNode('SinusoidalEmbedding', {}, { t: { shape: [] } }).codes).toContain('GC110@n.t');
  });

  it("uses DDPM's frequencies exp(-ln(maxPeriod) · i / (half - 1))", () => {
    // dim 6, half 3: exp(0), exp(-ln(10000) / 2) = 0.01, exp(-ln(10000)) = 1e-4.
    expectClose(timestepFrequencies(6, 10000), [1, 0.01, 1e-4]);
    expectClose(timestepFrequencies(2, 10000), [1]);
  });

  it('puts sines first, then cosines, by hand', async () => {
    // dim 4: frequencies [1, 1e-4]. t = 0 -> [0, 0, 1, 1]; t = 2 -> [sin 2, sin 2e-4, cos 2, cos 2e-4].
    const run = await runNode('SinusoidalEmbedding', { dim: 4 }, { t: { shape: [2], values: [0, 2], dtype: 'int32' } });
    expect(run.outputs.y!.shape).toEqual([2, 4]);
    expectClose(run.outputs.y!.values, [0, 0, 1, 1, Math.sin(2), Math.sin(2e-4), Math.cos(2), Math.cos(2e-4)]);
  });

  it('honours maxPeriod', async () => {
    // dim 4, maxPeriod 100: frequencies [1, 0.01]; t = 50 -> [sin 50, sin 0.5, cos 50, cos 0.5].
    const run = await runNode('SinusoidalEmbedding', { dim: 4, maxPeriod: 100 }, { t: { shape: [1], values: [50], dtype: 'int32' } });
    expectClose(run.outputs.y!.values, [Math.sin(50), Math.sin(0.5), Math.cos(50), Math.cos(0.5)], 1e-4);
  });

  it('leaves no tensors behind', () => {
    const t = tf.tensor1d([1, 2, 3], 'int32');
    const before = tf.memory().numTensors;
    const params = sinusoidalEmbeddingNode.params.parse({ dim: 8 });
    const y = sinusoidalEmbeddingNode.forward!({ params, inputs: { t }, vars: {}, outputShapes: {}, batchSize: 3, training: false, random: undefined as never, feeds: {} }).y!;
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
    t.dispose();
  });
});
