import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { channelScaleShift, expectRank, input, lastDim } from './common.ts';
import { defineNode } from './types.ts';

/**
 * Batch normalisation over the last axis (the channels of an image, the
 * features of a vector), with learned scale gamma and shift beta.
 *
 * Both training and inference normalise with the statistics of the batch at
 * hand: running averages need non-trainable state, which the runtime does not
 * keep yet. So inference wants batches of several examples (a batch of one
 * has zero variance and gives beta); `momentum` is the running averages'
 * momentum and takes effect once they exist.
 */
export const batchNormNode = defineNode({
  kind: 'BatchNorm',
  category: 'layer',
  title: 'Batch norm',
  description: 'Normalises each channel to zero mean and unit variance over the batch, then scales by gamma and shifts by beta.',
  params: z.strictObject({
    momentum: z.number().min(0).max(1).default(0.99),
    epsilon: z.number().min(1e-8).max(1).default(1e-3),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., channels]');
    lastDim(x, 'x');
    return { y: x };
  },
  variables: ({ inputs }) => channelScaleShift(lastDim(input(inputs, 'x'), 'x')),
  forward: ({ inputs, vars, params }) => {
    const x = inputs.x!;
    const y = tf.tidy(() => {
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      // Biased variance, as batch norm defines it; gradients flow through the statistics too.
      const { mean, variance } = tf.moments(x, axes);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, params.epsilon)));
      return tf.add(tf.mul(normed, vars.gamma!), vars.beta!);
    });
    return { y };
  },
  // Batch statistics in training and sampling alike, as here; momentum has nothing to act on.
  torch: {
    module: ({ inputs, params }) => ({ class: 'BatchNorm', args: { channels: lastDim(input(inputs, 'x'), 'x'), epsilon: params.epsilon } }),
    weights: () => ({ gamma: ['weight', 'same'], beta: ['bias', 'same'] }),
  },
  summary: (p) => `ε ${p.epsilon}`,
});
