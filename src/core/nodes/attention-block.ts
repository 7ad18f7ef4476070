import { z } from 'zod';
import type { Shape } from '../base/shape.ts';
import { expectRank, headsError, input, lastDim, mismatch, zHeads } from './common.ts';
import { torchLayer, type TorchWeightMap } from './expansion-builder.ts';
import { defineNode, type Expansion, type NodePorts } from './types.ts';

/** Ports of AttentionBlock and TransformerBlock: a sequence x, optionally attending to a context. */
export const attentionPorts = {
  inputs: [
    { name: 'x', type: 'tensor', doc: 'the sequence that asks: [B, T, D]' },
    { name: 'context', type: 'tensor', optional: true, doc: 'cross-attention: the sequence attended to, [B, S, D2]' },
  ],
  outputs: [{ name: 'y', type: 'tensor' }],
} as const satisfies NodePorts;

/**
 * Checks x [B, T, D], with D split evenly into `heads`, and a connected
 * context [B, S, D2]; D2 may differ from D since k and v project it to D.
 */
export function checkAttentionInputs(inputs: Readonly<Record<string, Shape>>, heads: number): { x: Shape; context?: Shape } {
  const x = input(inputs, 'x');
  expectRank(x, 'x', 3, 3, '[B, T, features]');
  const width = lastDim(x, 'x');
  if (width % heads !== 0) throw headsError(width, heads);
  const context = inputs.context;
  if (context) {
    expectRank(context, 'context', 3, 3, '[B, S, features]');
    lastDim(context, 'context');
  }
  return { x, context };
}

/** The projections q, k, v and out as the Python AttentionBlock's q_proj, k_proj, v_proj and out_proj. */
export function torchAttentionWeights(): TorchWeightMap {
  return Object.assign({}, ...['q', 'k', 'v', 'out'].map((p) => torchLayer(p, `${p}_proj.`, 'linear'))) as TorchWeightMap;
}

/**
 * Multi-head scaled dot-product attention, softmax(q·kᵀ/√d)·v, with queries
 * from x and keys and values from the context when one is connected.
 * q, k and v get separate Dense projections so that no tensor goes past rank 4.
 */
export const attentionBlockNode = defineNode({
  kind: 'AttentionBlock',
  category: 'block',
  title: 'Attention',
  description: 'Multi-head attention: each position takes a weighted mix of the values at the positions (of x, or of the context) whose keys match its query.',
  params: z.strictObject({
    heads: zHeads(),
    /** Each position attends only to itself and earlier ones (self-attention of a language model). */
    causal: z.boolean().default(false),
  }),
  ports: attentionPorts,
  infer: ({ inputs, params }) => {
    const { x, context } = checkAttentionInputs(inputs, params.heads);
    if (context && params.causal && context[1] !== x[1]) {
      throw mismatch('context', `${String(x[1])} positions like x, since causal masking pairs query i with key i (or turn causal off)`, context);
    }
    return { y: x };
  },
  expand: ({ inputs, params }): Expansion => {
    const width = lastDim(input(inputs, 'x'), 'x');
    const scale = 1 / Math.sqrt(width / params.heads);
    const nodes: { id: string; kind: string; params: Record<string, unknown> }[] = [
      { id: 'q', kind: 'Dense', params: { units: width } },
      { id: 'k', kind: 'Dense', params: { units: width } },
      { id: 'v', kind: 'Dense', params: { units: width } },
      { id: 'q_heads', kind: 'SplitHeads', params: { heads: params.heads } },
      { id: 'k_heads', kind: 'SplitHeads', params: { heads: params.heads } },
      { id: 'v_heads', kind: 'SplitHeads', params: { heads: params.heads } },
      { id: 'scores', kind: 'MatMul', params: { transposeB: true, scale } },
      { id: 'weights', kind: 'Softmax', params: { axis: -1 } },
      { id: 'mix', kind: 'MatMul', params: {} },
      { id: 'merge', kind: 'MergeHeads', params: {} },
      { id: 'out', kind: 'Dense', params: { units: width } },
    ];
    const edges: { from: [string, string]; to: [string, string] }[] = [
      { from: ['q', 'y'], to: ['q_heads', 'x'] },
      { from: ['k', 'y'], to: ['k_heads', 'x'] },
      { from: ['v', 'y'], to: ['v_heads', 'x'] },
      { from: ['q_heads', 'y'], to: ['scores', 'a'] },
      { from: ['k_heads', 'y'], to: ['scores', 'b'] },
      { from: ['weights', 'y'], to: ['mix', 'a'] },
      { from: ['v_heads', 'y'], to: ['mix', 'b'] },
      { from: ['mix', 'y'], to: ['merge', 'x'] },
      { from: ['merge', 'y'], to: ['out', 'x'] },
    ];
    if (params.causal) {
      nodes.splice(7, 0, { id: 'mask', kind: 'CausalMask', params: {} });
      edges.push({ from: ['scores', 'y'], to: ['mask', 'scores'] }, { from: ['mask', 'y'], to: ['weights', 'x'] });
    } else {
      edges.push({ from: ['scores', 'y'], to: ['weights', 'x'] });
    }
    const cross = inputs.context !== undefined;
    return {
      nodes,
      edges,
      inputs: cross
        ? { x: [['q', 'x']], context: [['k', 'x'], ['v', 'x']] }
        : { x: [['q', 'x'], ['k', 'x'], ['v', 'x']] },
      outputs: { y: ['out', 'y'] },
    };
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'AttentionBlock',
      args: { features: lastDim(input(inputs, 'x'), 'x'), heads: params.heads, causal: params.causal, context_features: inputs.context ? lastDim(inputs.context, 'context') : null },
    }),
    weights: () => torchAttentionWeights(),
  },
  summary: (p) => `${p.heads} heads${p.causal ? ' · causal' : ''}`,
});
