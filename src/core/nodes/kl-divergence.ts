import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { expectRank, input, sumPerExample, zLossFields } from './common.ts';
import { defineNode } from './types.ts';

/**
 * The VAE's regulariser: KL(N(mu, exp(logvar)) || N(0, I)) in closed form,
 * summed over the latent and averaged over the batch (nats per example).
 */
export const klDivergenceNode = defineNode({
  kind: 'KLDivergence',
  category: 'objective',
  title: 'KL divergence',
  description: "How far the encoder's Gaussian N(mu, exp(logvar)) is from the standard normal prior, in nats per example: the VAE's second loss term.",
  params: z.strictObject({ ...zLossFields }),
  ports: {
    inputs: [{ name: 'mu', type: 'tensor' }, { name: 'logvar', type: 'tensor' }],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const mu = input(inputs, 'mu');
    const logvar = input(inputs, 'logvar');
    expectRank(mu, 'mu', 2, 4, '[B, latent]');
    if (!sameShape(mu, logvar)) {
      throw new ShapeError('GC106', { port: 'logvar', expected: `the shape of mu, ${formatShape(mu)}`, got: logvar }, 'logvar');
    }
    return { loss: [] };
  },
  forward: ({ inputs, params }) => ({
    loss: tf.tidy(() => {
      const mu = inputs.mu!;
      const logvar = inputs.logvar!;
      // -0.5 · (1 + logvar − mu² − exp(logvar)), elementwise.
      const kl = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)));
      return tf.mul(tf.mean(sumPerExample(kl)), params.weight);
    }),
  }),
  summary: (p) => p.objective,
});
