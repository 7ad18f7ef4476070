import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/core/shapes/analyze.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

/** Inner op id -> [kind, output shape] of the block at node 'n'. */
function innerOps(analysis: Analysis): Record<string, [string, readonly unknown[]]> {
  const out: Record<string, [string, readonly unknown[]]> = {};
  for (const op of analysis.ops) {
    if (!op.id.startsWith('n/')) continue;
    out[op.id.slice(2)] = [op.kind, analysis.values.get(Object.values(op.outputs)[0]!)!.shape];
  }
  return out;
}

const IDENTITY = [1, 0, 0, 1];
/** softmax([1/√2, 0])[0]: how much a query [1, 0] keeps of itself against an orthogonal key. */
const P = Math.exp(1 / Math.SQRT2) / (Math.exp(1 / Math.SQRT2) + 1);

describe('AttentionBlock', () => {
  it('returns the shape of x, with or without a context', () => {
    expect(inferNode('AttentionBlock', { heads: 4 }, { x: { shape: [16, 32] } }).outputs.y?.shape).toEqual(['B', 16, 32]);
    expect(inferNode('AttentionBlock', { heads: 2 }, { x: { shape: [5, 8] }, context: { shape: [7, 3] } }).outputs.y?.shape).toEqual(['B', 5, 8]);
  });

  it('rejects widths that do not split into heads, wrong ranks and causal cross-attention of another length', () => {
    const uneven = inferNode('AttentionBlock', { heads: 3 }, { x: { shape: [4, 8] } });
    expect(uneven.codes).toEqual(['GC107@n']);
    expect(uneven.analysis.diagnostics[0]!.message).toMatch(/8 features do not split evenly into 3 heads/);
    expect(inferNode('AttentionBlock', { heads: 1 }, { x: { shape: [8] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('AttentionBlock', { heads: 1 }, { x: { shape: [4, 8] }, context: { shape: [8] } }).codes).toEqual(['GC106@n.context']);
    expect(inferNode('AttentionBlock', { heads: 1, causal: true }, { x: { shape: [4, 8] }, context: { shape: [6, 8] } }).codes).toEqual(['GC106@n.context']);
    expect(inferNode('AttentionBlock', { heads: 0 }, { x: { shape: [4, 8] } }).codes).toEqual(['GC107@n']);
  });

  it('expands into projections, heads, scaled scores, a mask, softmax and a merge', () => {
    const { analysis, codes } = inferNode('AttentionBlock', { heads: 2, causal: true }, { x: { shape: [3, 4] } });
    expect(codes).toEqual([]);
    expect(innerOps(analysis)).toEqual({
      q: ['Dense', ['B', 3, 4]],
      k: ['Dense', ['B', 3, 4]],
      v: ['Dense', ['B', 3, 4]],
      q_heads: ['SplitHeads', ['B', 2, 3, 2]],
      k_heads: ['SplitHeads', ['B', 2, 3, 2]],
      v_heads: ['SplitHeads', ['B', 2, 3, 2]],
      scores: ['MatMul', ['B', 2, 3, 3]],
      mask: ['CausalMask', ['B', 2, 3, 3]],
      weights: ['Softmax', ['B', 2, 3, 3]],
      mix: ['MatMul', ['B', 2, 3, 2]],
      merge: ['MergeHeads', ['B', 3, 4]],
      out: ['Dense', ['B', 3, 4]],
    });
    // 1/√d with d = 4 / 2 heads.
    expect(analysis.ops.find((op) => op.id === 'n/scores')!.params).toEqual({ transposeB: true, scale: 1 / Math.SQRT2 });
    // Four 4 × 4 projections with biases.
    expect(analysis.nodes.get('n')!.paramCount).toBe(80);
  });

  it('takes keys and values from the context in cross-attention', () => {
    const { analysis } = inferNode('AttentionBlock', { heads: 2 }, { x: { shape: [5, 8] }, context: { shape: [7, 3] } });
    const ops = innerOps(analysis);
    expect(ops.k).toEqual(['Dense', ['B', 7, 8]]);
    expect(ops.scores).toEqual(['MatMul', ['B', 2, 5, 7]]);
    expect(ops.mask).toBeUndefined();
    expect(analysis.ops.find((op) => op.id === 'n/k')!.variables[0]!.shape).toEqual([3, 8]);
  });

  it('mixes values by softmax of scaled scores, by hand', async () => {
    // x = [[1, 0], [0, 1]], identity projections: q = k = v = x, d = 2.
    // scores = x·xᵀ / √2 = [[1/√2, 0], [0, 1/√2]]; each row's softmax is [P, 1 − P] (mirrored),
    // P = e^(1/√2) / (e^(1/√2) + 1) ≈ 0.66976. y = weights·v + out bias [0.5, −0.5].
    const x = { shape: [1, 2, 2], values: [1, 0, 0, 1] };
    const vars = { 'q/kernel': IDENTITY, 'k/kernel': IDENTITY, 'v/kernel': IDENTITY, 'out/kernel': IDENTITY, 'out/bias': [0.5, -0.5] };
    const run = await runNode('AttentionBlock', { heads: 1 }, { x }, vars);
    expect(run.outputs.y!.shape).toEqual([1, 2, 2]);
    expectClose(run.outputs.y!.values, [P + 0.5, 1 - P - 0.5, 1 - P + 0.5, P - 0.5]);
    // Causal: position 0 only sees itself (weights [1, 0]); position 1 still sees both.
    const causal = await runNode('AttentionBlock', { heads: 1, causal: true }, { x }, vars);
    expectClose(causal.outputs.y!.values, [1 + 0.5, 0 - 0.5, 1 - P + 0.5, P - 0.5]);
  });

  it('attends from x to the context, by hand', async () => {
    // One query [1, 0] over keys [1, 0] and [0, 1]: weights [P, 1 − P], y = [P, 1 − P].
    const run = await runNode(
      'AttentionBlock',
      { heads: 1 },
      { x: { shape: [1, 1, 2], values: [1, 0] }, context: { shape: [1, 2, 2], values: [1, 0, 0, 1] } },
      { 'q/kernel': IDENTITY, 'k/kernel': IDENTITY, 'v/kernel': IDENTITY, 'out/kernel': IDENTITY },
    );
    expect(run.outputs.y!.shape).toEqual([1, 1, 2]);
    expectClose(run.outputs.y!.values, [P, 1 - P]);
  });

  it('keeps heads apart, by hand', async () => {
    // Two heads of width 1, T = 2, x = [[1, 2], [3, 4]] with identity projections (scale 1/√1 = 1).
    // Head 0 sees q = k = v = [1, 3]; causal row 1: softmax([3·1, 3·3]) = [e^3, e^9] / (e^3 + e^9), mixes [1, 3].
    // Head 1 sees [2, 4]; row 1: softmax([8, 16]) mixes [2, 4]. Row 0 keeps itself: [1, 2].
    const w0 = Math.exp(3) / (Math.exp(3) + Math.exp(9));
    const w1 = Math.exp(8) / (Math.exp(8) + Math.exp(16));
    const run = await runNode(
      'AttentionBlock',
      { heads: 2, causal: true },
      { x: { shape: [1, 2, 2], values: [1, 2, 3, 4] } },
      { 'q/kernel': IDENTITY, 'k/kernel': IDENTITY, 'v/kernel': IDENTITY, 'out/kernel': IDENTITY },
    );
    expectClose(run.outputs.y!.values, [1, 2, w0 * 1 + (1 - w0) * 3, w1 * 2 + (1 - w1) * 4]);
  });
});
