import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe('TransformerBlock', () => {
  it('returns the shape of x', () => {
    expect(inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [16, 8] } }).outputs.y?.shape).toEqual(['B', 16, 8]);
    expect(inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [5, 8] }, context: { shape: [7, 6] } }).outputs.y?.shape).toEqual(['B', 5, 8]);
  });

  it('rejects widths that do not split into heads, wrong ranks and bad params', () => {
    expect(inferNode('TransformerBlock', { heads: 3 }, { x: { shape: [4, 8] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [8] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [4, 8] }, context: { shape: [2, 3, 8] } }).codes).toEqual(['GC106@n.context']);
    expect(inferNode('TransformerBlock', { heads: 2, mlpRatio: 0 }, { x: { shape: [4, 8] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('TransformerBlock', { heads: 2, causal: 'yes' }, { x: { shape: [4, 8] } }).codes).toEqual(['GC107@n']);
  });

  it('expands into pre-norm attention and MLP with residuals', () => {
    const { analysis, codes } = inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [3, 8] } });
    expect(codes).toEqual([]);
    const ops = analysis.ops.filter((op) => op.id.startsWith('n/')).map((op) => `${op.id.slice(2)}:${op.kind}`);
    expect(ops.filter((o) => !o.startsWith('attn/'))).toEqual([
      'ln_attn:LayerNorm',
      'res_attn:Add',
      'ln_mlp:LayerNorm',
      'mlp_fc:Dense',
      'mlp_proj:Dense',
      'res_mlp:Add',
    ]);
    // Causal by default: the self-attention masks.
    expect(ops).toContain('attn/mask:CausalMask');
    expect(ops.filter((o) => o.startsWith('attn/'))).toHaveLength(12);
    expect(analysis.values.get('n/mlp_fc:y')!.shape).toEqual(['B', 3, 32]);
    expect(analysis.ops.find((op) => op.id === 'n/mlp_fc')!.params).toMatchObject({ units: 32, activation: 'gelu' });
    // 2 LayerNorms (2·16) + attention 4·(64 + 8) + MLP (8·32 + 32) + (32·8 + 8).
    expect(analysis.nodes.get('n')!.paramCount).toBe(32 + 288 + 288 + 264);
  });

  it('adds an unmasked cross-attention when a context is connected', () => {
    const { analysis } = inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [3, 8] }, context: { shape: [5, 6] } });
    const ids = analysis.ops.filter((op) => op.id.startsWith('n/')).map((op) => op.id.slice(2));
    expect(ids).toEqual(expect.arrayContaining(['ln_cross', 'cross/q', 'cross/k', 'cross/scores', 'res_cross']));
    expect(ids).not.toContain('cross/mask');
    expect(ids).toContain('attn/mask');
    expect(analysis.values.get('n/cross/scores:y')!.shape).toEqual(['B', 2, 3, 5]);
    expect(analysis.ops.find((op) => op.id === 'n/cross/k')!.variables[0]!.shape).toEqual([6, 8]);
  });

  it('computes a one-position layer, by hand', async () => {
    // T = 1, D = 2, 1 head, mlpRatio 1, identity kernels (q and k do not matter: one key gets weight 1).
    // x = [1, 3]: LN → n1 = [−c, c], c = 1/√(1 + 1e-5). Attention returns v = n1. h = x + n1 = [1 − c, 3 + c].
    // LN(h): mean 2, deviations ±(1 + c) → n2 = ±(1 + c)/√((1 + c)² + 1e-5). y = h + gelu(n2).
    const c = 1 / Math.sqrt(1 + 1e-5);
    const n2 = (1 + c) / Math.sqrt((1 + c) ** 2 + 1e-5);
    const I = [1, 0, 0, 1];
    const run = await runNode(
      'TransformerBlock',
      { heads: 1, mlpRatio: 1 },
      { x: { shape: [1, 1, 2], values: [1, 3] } },
      { 'attn/v/kernel': I, 'attn/out/kernel': I, 'mlp_fc/kernel': I, 'mlp_proj/kernel': I },
    );
    expect(run.outputs.y!.shape).toEqual([1, 1, 2]);
    expectClose(run.outputs.y!.values, [1 - c + gelu(-n2), 3 + c + gelu(n2)], 1e-4);
  });

  it('sends finite, non-zero gradients to every weight', () => {
    // T = 3, D = 4, 2 heads, with a cross-attention context: every op of the expansion is on the path.
    const { analysis } = inferNode('TransformerBlock', { heads: 2 }, { x: { shape: [3, 4] }, context: { shape: [2, 6] } });
    const variables = createVariables(analysis, 3);
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const context = tf.randomNormal([2, 2, 6], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const y = analysis.nodes.get('n')!.outputKeys.y!;
    const run = () => {
      const values = runForward(analysis, { variables, feeds: { in_x: { x }, in_context: { x: context } }, batchSize: 2, training: true, random: createRandom(1) });
      // A fixed random projection so that no gradient vanishes by symmetry (LayerNorm's sum is constant).
      return tf.sum(tf.mul(values.get(y)!, tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3))) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(run, [...variables.values()]);
    expect(Object.keys(grads)).toHaveLength(variables.size);
    for (const [name, grad] of Object.entries(grads)) {
      const g = Array.from(grad.dataSync());
      expect(g.every(Number.isFinite), name).toBe(true);
      expect(g.some((v) => v !== 0), name).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, context]);
    tf.dispose([...variables.values()]);
  });
});
