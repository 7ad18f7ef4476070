import { z } from 'zod';
import { input, zActivation, zSize } from './common.ts';
import { ExpansionBuilder, fixedShape, torchLayer, type Ref, type TorchWeightMap } from './expansion-builder.ts';
import { expectFeaturesOrImage } from './image-common.ts';
import { defineNode } from './types.ts';

/**
 * The VAE encoder q(z | x): a body of Dense layers ('mlp') or stride-2
 * 4×4 convolutions ('conv'), then two linear heads for the mean and the
 * log-variance of the latent Gaussian.
 */
export const encoderNode = defineNode({
  kind: 'Encoder',
  category: 'block',
  title: 'Encoder',
  description: 'Maps an input to the mean and log-variance of a Gaussian over the latent code, as in a VAE.',
  params: z.strictObject({
    architecture: z.enum(['mlp', 'conv']).default('mlp'),
    /** Widths of the Dense layers ('mlp') or channels of the stride-2 convolutions ('conv'). */
    hidden: z.array(z.int().min(1).max(4096)).max(8).default([256]),
    latent: zSize(4096, 16),
    activation: zActivation.default('relu'),
  }),
  ports: {
    inputs: [{ name: 'x', type: 'tensor' }],
    outputs: [{ name: 'mu', type: 'tensor' }, { name: 'logvar', type: 'tensor' }],
  },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectFeaturesOrImage(x, 'x', params.architecture);
    return { mu: ['B', params.latent], logvar: ['B', params.latent] };
  },
  expand: ({ inputs, params }) => {
    const b = new ExpansionBuilder();
    let h: Ref = { input: 'x' };
    if (params.architecture === 'conv') {
      params.hidden.forEach((filters, i) => {
        h = b.then(h, `conv${i}`, 'Conv2D', { filters, kernelSize: 4, strides: 2, padding: 'same', activation: params.activation });
      });
      h = b.then(h, 'flatten', 'Flatten');
    } else {
      if (input(inputs, 'x').length > 2) h = b.then(h, 'flatten', 'Flatten');
      params.hidden.forEach((units, i) => {
        h = b.then(h, `fc${i}`, 'Dense', { units, activation: params.activation });
      });
    }
    b.output('mu', b.then(h, 'mu', 'Dense', { units: params.latent }));
    b.output('logvar', b.then(h, 'logvar', 'Dense', { units: params.latent }));
    return b.build();
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'Encoder',
      args: { in_shape: fixedShape(input(inputs, 'x'), 'x'), architecture: params.architecture, hidden: params.hidden, latent: params.latent, activation: params.activation },
    }),
    weights: ({ params }) => {
      const conv = params.architecture === 'conv';
      return Object.assign(
        {},
        ...params.hidden.map((_, i) => torchLayer(conv ? `conv${i}` : `fc${i}`, `body.${i}.`, conv ? 'conv' : 'linear')),
        torchLayer('mu', 'mu.', 'linear'),
        torchLayer('logvar', 'logvar.', 'linear'),
      ) as TorchWeightMap;
    },
  },
  summary: (p) => `${p.architecture} [${p.hidden.join(', ')}] → ${p.latent}`,
});
