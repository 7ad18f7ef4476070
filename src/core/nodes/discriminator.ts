import { z } from 'zod';
import { input, zActivation } from './common.ts';
import { ExpansionBuilder, fixedShape, torchLayer, type Ref, type TorchWeightMap } from './expansion-builder.ts';
import { expectFeaturesOrImage } from './image-common.ts';
import { defineNode } from './types.ts';

/** The GAN critic: one logit per example, real (high) or fake (low); the adversarial loss applies the sigmoid. */
export const discriminatorNode = defineNode({
  kind: 'Discriminator',
  category: 'block',
  title: 'Discriminator',
  description: 'Scores each example with one logit, high for real and low for generated, as in a GAN; Dense layers or stride-2 convolutions.',
  params: z.strictObject({
    architecture: z.enum(['mlp', 'conv']).default('conv'),
    /** Widths of the Dense layers ('mlp') or channels of the stride-2 4×4 convolutions ('conv'). */
    hidden: z.array(z.int().min(1).max(4096)).max(8).default([64, 128]),
    activation: zActivation.default('leakyRelu'),
    /** Dropout after each hidden layer while training; 0 for none. */
    dropout: z.number().min(0).max(0.95).default(0),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'logit', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectFeaturesOrImage(x, 'x', params.architecture);
    return { logit: ['B', 1] };
  },
  expand: ({ inputs, params }) => {
    const b = new ExpansionBuilder();
    let h: Ref = { input: 'x' };
    const drop = (from: Ref, i: number): Ref => (params.dropout > 0 ? b.then(from, `drop${i}`, 'Dropout', { rate: params.dropout }) : from);
    if (params.architecture === 'conv') {
      params.hidden.forEach((filters, i) => {
        h = drop(b.then(h, `conv${i}`, 'Conv2D', { filters, kernelSize: 4, strides: 2, padding: 'same', activation: params.activation }), i);
      });
      h = b.then(h, 'flatten', 'Flatten');
    } else {
      if (input(inputs, 'x').length > 2) h = b.then(h, 'flatten', 'Flatten');
      params.hidden.forEach((units, i) => {
        h = drop(b.then(h, `fc${i}`, 'Dense', { units, activation: params.activation }), i);
      });
    }
    b.output('logit', b.then(h, 'logit', 'Dense', { units: 1 }));
    return b.build();
  },
  torch: {
    // Dropout draws its masks from ctx.random.
    module: ({ inputs, params }) => ({
      class: 'Discriminator',
      args: { in_shape: fixedShape(input(inputs, 'x'), 'x'), architecture: params.architecture, hidden: params.hidden, activation: params.activation, dropout: params.dropout },
      context: params.dropout > 0,
    }),
    weights: ({ params }) => {
      const conv = params.architecture === 'conv';
      return Object.assign(
        {},
        ...params.hidden.map((_, i) => torchLayer(conv ? `conv${i}` : `fc${i}`, `body.${i}.`, conv ? 'conv' : 'linear')),
        torchLayer('logit', 'logit.', 'linear'),
      ) as TorchWeightMap;
    },
  },
  summary: (p) => `${p.architecture} [${p.hidden.join(', ')}]${p.dropout > 0 ? ` · dropout ${p.dropout}` : ''}`,
});
