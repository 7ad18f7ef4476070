import { z } from 'zod';
import { input, lastDim, mismatch, zActivation, zSize } from './common.ts';
import { ExpansionBuilder, torchLayer, torchNorm, type Ref } from './expansion-builder.ts';
import { groupsProblem, zGroups } from './group-norm.ts';
import { expectImage } from './image-common.ts';
import { defineNode } from './types.ts';

/**
 * DDPM's residual block. With norm 'none' (the default) it has no
 * normalisation, each convolution followed by its activation:
 *   h = act(conv3x3(x)) + Dense(act(temb)) as [B, 1, 1, filters]
 *   y = act(conv3x3(h)) + skip(x)
 * With norm 'group' it is DDPM's block (Ho et al. 2020) without dropout,
 * GroupNorm and the activation before each convolution:
 *   h = conv3x3(act(GroupNorm(x))) + Dense(act(temb)) as [B, 1, 1, filters]
 *   y = conv3x3(act(GroupNorm(h))) + skip(x)
 * (group statistics, unlike batch norm's, never mix the noise levels of a
 * batch). skip is x itself when it already has `filters` channels, else a
 * 1×1 conv. The activation before the time projection is DDPM's.
 */
export const unetBlockNode = defineNode({
  kind: 'UNetBlock',
  category: 'block',
  title: 'U-Net block',
  description:
    "A residual block of two 3×3 convolutions for a diffusion U-Net, conditioned on a time embedding added to every pixel; norm 'group' puts a GroupNorm and the activation before each convolution, as in DDPM.",
  params: z.strictObject({
    filters: zSize(4096, 64),
    activation: zActivation.default('silu'),
    norm: z.enum(['none', 'group']).default('none'),
    /** GroupNorm's groups (norm 'group'): they must divide the channels of x and `filters`. */
    groups: zGroups(),
  }),
  ports: {
    inputs: [
      { name: 'x', type: 'tensor', doc: 'image [B, H, W, C]' },
      { name: 'temb', type: 'tensor', optional: true, doc: 'time embedding [B, D]' },
    ],
    outputs: [{ name: 'y', type: 'tensor' }],
  },
  infer: ({ inputs, params }) => {
    const { h, w, c } = expectImage(input(inputs, 'x'), 'x');
    const temb = inputs.temb;
    if (temb && (temb.length !== 2 || temb[0] !== 'B' || typeof temb[1] !== 'number')) throw mismatch('temb', 'a time embedding [B, D]', temb);
    if (params.norm === 'group') {
      const problem = groupsProblem(c, params.groups, 'x') ?? groupsProblem(params.filters, params.groups, 'the first convolution\'s output (filters)');
      if (problem) throw problem;
    }
    return { y: ['B', h, w, params.filters] };
  },
  expand: ({ inputs, params }) => {
    const { c } = expectImage(input(inputs, 'x'), 'x');
    const { filters, activation, norm, groups } = params;
    const b = new ExpansionBuilder();
    const x: Ref = { input: 'x' };
    const grouped = norm === 'group';
    // Without a norm the activation follows each conv (fused into it); with one, it comes between the norm and the conv.
    const conv3 = { filters, kernelSize: 3, strides: 1, padding: 'same', activation: grouped ? 'linear' : activation };
    const normAct = (from: Ref, i: number): Ref =>
      grouped ? b.then(b.then(from, `norm${i}`, 'GroupNorm', { groups }), `act${i}`, 'Activation', { fn: activation }) : from;
    let h = b.then(normAct(x, 1), 'conv1', 'Conv2D', conv3);
    if (inputs.temb) {
      const t = b.then(b.then({ input: 'temb' }, 'temb_act', 'Activation', { fn: activation }), 'temb_proj', 'Dense', { units: filters });
      const t4 = b.then(t, 'temb_reshape', 'Reshape', { shape: [1, 1, filters] });
      h = b.add('temb_add', 'Add', {}, { a: h, b: t4 });
    }
    h = b.then(normAct(h, 2), 'conv2', 'Conv2D', conv3);
    const skip = c === filters ? x : b.then(x, 'skip', 'Conv2D', { filters, kernelSize: 1, strides: 1, padding: 'same' });
    b.output('y', b.add('residual', 'Add', {}, { a: h, b: skip }));
    return b.build();
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'UNetBlock',
      args: {
        in_channels: expectImage(input(inputs, 'x'), 'x').c,
        filters: params.filters,
        activation: params.activation,
        norm: params.norm,
        groups: params.groups,
        temb_features: inputs.temb ? lastDim(inputs.temb, 'temb') : null,
      },
    }),
    weights: ({ inputs, params }) => {
      const grouped = params.norm === 'group';
      return {
        ...(grouped ? torchNorm('norm1', 'norm1.') : {}),
        ...torchLayer('conv1', 'conv1.', 'conv'),
        ...(inputs.temb ? torchLayer('temb_proj', 'temb_proj.', 'linear') : {}),
        ...(grouped ? torchNorm('norm2', 'norm2.') : {}),
        ...torchLayer('conv2', 'conv2.', 'conv'),
        ...(expectImage(input(inputs, 'x'), 'x').c === params.filters ? {} : torchLayer('skip', 'skip.', 'conv')),
      };
    },
  },
  summary: (p) => `${p.filters} · ${p.activation}${p.norm === 'group' ? ` · GroupNorm ${p.groups}` : ''}`,
});
