import { z } from 'zod';
import { attentionPorts, checkAttentionInputs, torchAttentionWeights } from './attention-block.ts';
import { input, lastDim, zHeads } from './common.ts';
import { torchLayer, torchNested, torchNorm } from './expansion-builder.ts';
import { defineNode, type Expansion } from './types.ts';

/**
 * A pre-LayerNorm (GPT-2) Transformer layer:
 * h = x + Attn(LN(x)); [h = h + CrossAttn(LN(h), context)]; y = h + MLP(LN(h)).
 */
export const transformerBlockNode = defineNode({
  kind: 'TransformerBlock',
  category: 'block',
  title: 'Transformer block',
  description: 'One Transformer layer (GPT-2 style, normalised before each part): self-attention, optional cross-attention to a context, and a gelu MLP, each added back to its input.',
  params: z.strictObject({
    heads: zHeads(),
    /** Self-attention sees only earlier positions (language models). */
    causal: z.boolean().default(true),
    /** Hidden width of the MLP as a multiple of the model width (rounded). */
    mlpRatio: z.number().min(0.25).max(16).default(4),
  }),
  ports: attentionPorts,
  infer: ({ inputs, params }) => ({ y: checkAttentionInputs(inputs, params.heads).x }),
  expand: ({ inputs, params }): Expansion => {
    const width = lastDim(input(inputs, 'x'), 'x');
    const hidden = Math.max(1, Math.round(params.mlpRatio * width));
    const cross = inputs.context !== undefined;
    const nodes: { id: string; kind: string; params: Record<string, unknown> }[] = [
      { id: 'ln_attn', kind: 'LayerNorm', params: {} },
      { id: 'attn', kind: 'AttentionBlock', params: { heads: params.heads, causal: params.causal } },
      { id: 'res_attn', kind: 'Add', params: {} },
    ];
    const edges: { from: [string, string]; to: [string, string] }[] = [
      { from: ['ln_attn', 'y'], to: ['attn', 'x'] },
      { from: ['attn', 'y'], to: ['res_attn', 'b'] },
    ];
    let h: [string, string] = ['res_attn', 'y'];
    if (cross) {
      nodes.push(
        { id: 'ln_cross', kind: 'LayerNorm', params: {} },
        // Every query may look at the whole context.
        { id: 'cross', kind: 'AttentionBlock', params: { heads: params.heads, causal: false } },
        { id: 'res_cross', kind: 'Add', params: {} },
      );
      edges.push(
        { from: h, to: ['ln_cross', 'x'] },
        { from: h, to: ['res_cross', 'a'] },
        { from: ['ln_cross', 'y'], to: ['cross', 'x'] },
        { from: ['cross', 'y'], to: ['res_cross', 'b'] },
      );
      h = ['res_cross', 'y'];
    }
    nodes.push(
      { id: 'ln_mlp', kind: 'LayerNorm', params: {} },
      { id: 'mlp_fc', kind: 'Dense', params: { units: hidden, activation: 'gelu' } },
      { id: 'mlp_proj', kind: 'Dense', params: { units: width } },
      { id: 'res_mlp', kind: 'Add', params: {} },
    );
    edges.push(
      { from: h, to: ['ln_mlp', 'x'] },
      { from: h, to: ['res_mlp', 'a'] },
      { from: ['ln_mlp', 'y'], to: ['mlp_fc', 'x'] },
      { from: ['mlp_fc', 'y'], to: ['mlp_proj', 'x'] },
      { from: ['mlp_proj', 'y'], to: ['res_mlp', 'b'] },
    );
    return {
      nodes,
      edges,
      inputs: cross ? { x: [['ln_attn', 'x'], ['res_attn', 'a']], context: [['cross', 'context']] } : { x: [['ln_attn', 'x'], ['res_attn', 'a']] },
      outputs: { y: ['res_mlp', 'y'] },
    };
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'TransformerBlock',
      args: {
        features: lastDim(input(inputs, 'x'), 'x'),
        heads: params.heads,
        causal: params.causal,
        mlp_ratio: params.mlpRatio,
        context_features: inputs.context ? lastDim(inputs.context, 'context') : null,
      },
    }),
    weights: ({ inputs }) => ({
      ...torchNorm('ln_attn', 'ln1.'),
      ...torchNested('attn', 'attn.', torchAttentionWeights()),
      ...(inputs.context ? { ...torchNorm('ln_cross', 'ln_cross.'), ...torchNested('cross', 'cross.', torchAttentionWeights()) } : {}),
      ...torchNorm('ln_mlp', 'ln2.'),
      ...torchLayer('mlp_fc', 'mlp.fc.', 'linear'),
      ...torchLayer('mlp_proj', 'mlp.proj.', 'linear'),
    }),
  },
  summary: (p) => `${p.heads} heads${p.causal ? ' · causal' : ''} · mlp ×${p.mlpRatio}`,
});
