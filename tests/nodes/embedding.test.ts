import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { embeddingNode } from '../../src/core/nodes/embedding.ts';
import type { ForwardContext } from '../../src/core/nodes/types.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Embedding', () => {
  it('adds a feature axis to token ids', () => {
    expect(inferNode('Embedding', { vocabSize: 28, dim: 8 }, { tokens: { shape: [16], dtype: 'int' } }).outputs.y?.shape).toEqual(['B', 16, 8]);
    expect(inferNode('Embedding', { vocabSize: 10, dim: 4 }, { tokens: { shape: [], dtype: 'int' } }).outputs.y?.shape).toEqual(['B', 4]);
    // A map of code ids (a VQ-VAE's) gets a vector per position.
    expect(inferNode('Embedding', { vocabSize: 10, dim: 4 }, { tokens: { shape: [7, 7], dtype: 'int' } }).outputs.y?.shape).toEqual(['B', 7, 7, 4]);
  });

  it('rejects wrong inputs and params', () => {
    expect(inferNode('Embedding', { vocabSize: 10, dim: 4 }, { tokens: { shape: [2, 3, 2], dtype: 'int' } }).codes).toEqual(['GC106@n.tokens']);
    // Float features cannot feed token ids.
    expect(inferNode('Embedding', { vocabSize: 10, dim: 4 }, { tokens: { shape: [3] } }).codes).toContain('GC110@n.tokens');
    expect(inferNode('Embedding', { vocabSize: 0, dim: 4 }, { tokens: { shape: [3], dtype: 'int' } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Embedding', { vocabSize: 10, dim: 0 }, { tokens: { shape: [3], dtype: 'int' } }).codes).toEqual(['GC107@n']);
  });

  it('looks rows up in the table', async () => {
    // Table rows: 0 -> [0, 1], 1 -> [2, 3], 2 -> [4, 5].
    const table = [0, 1, 2, 3, 4, 5];
    const seq = await runNode('Embedding', { vocabSize: 3, dim: 2 }, { tokens: { shape: [1, 3], values: [2, 0, 1], dtype: 'int32' } }, { table });
    expect(seq.outputs.y!.shape).toEqual([1, 3, 2]);
    expectClose(seq.outputs.y!.values, [4, 5, 0, 1, 2, 3]);
    const single = await runNode('Embedding', { vocabSize: 3, dim: 2 }, { tokens: { shape: [2], values: [1, 2], dtype: 'int32' } }, { table });
    expect(single.outputs.y!.shape).toEqual([2, 2]);
    expectClose(single.outputs.y!.values, [2, 3, 4, 5]);
  });

  it('sends gradients to the rows it used', () => {
    // d sum(y) / d table counts how often each row was looked up: row 0 twice, row 2 once, row 1 never.
    const tokens = tf.tensor2d([[0, 2, 0]], [1, 3], 'int32');
    const table = tf.zeros([3, 2]);
    const forward = (t: tf.Tensor) => embeddingNode.forward!({ params: embeddingNode.params.parse({}), inputs: { tokens }, vars: { table: t } } as unknown as ForwardContext<never>).y!;
    const grad = tf.grad((t: tf.Tensor) => tf.sum(forward(t)))(table);
    expectClose(Array.from(grad.dataSync()), [2, 2, 0, 0, 1, 1]);
    tf.dispose([tokens, table, grad]);
  });

  it('counts vocabSize × dim parameters', () => {
    expect(inferNode('Embedding', { vocabSize: 28, dim: 8 }, { tokens: { shape: [16], dtype: 'int' } }).analysis.nodes.get('n')!.paramCount).toBe(224);
  });

  it("starts its table at the standard deviation asked for: GPT-2's 0.02 by default, 1 as nn.Embedding", () => {
    const params = (p: Record<string, unknown>) => embeddingNode.params.parse({ vocabSize: 10, dim: 4, ...p });
    expect(embeddingNode.variables!({ params: params({}), inputs: {} })[0]!.init).toEqual({ kind: 'normal', std: 0.02 });
    expect(embeddingNode.variables!({ params: params({ initStd: 1 }), inputs: {} })[0]!.init).toEqual({ kind: 'normal', std: 1 });
    expect(embeddingNode.params.safeParse({ initStd: 0 }).success).toBe(false);
  });
});
