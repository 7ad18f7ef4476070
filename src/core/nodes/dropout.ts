import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, positionwise } from './common.ts';
import { defineNode } from './types.ts';
import { freshConstants } from './constants.ts';

/** Inverted dropout: kept values are scaled by 1 / (1 - rate), so inference is the identity. */
export const dropoutNode = defineNode({
  kind: 'Dropout',
  category: 'layer',
  title: 'Dropout',
  description: 'While training, zeroes each value with probability rate and scales the rest up to keep the mean; does nothing at inference.',
  params: z.strictObject({ rate: z.number().min(0).max(0.95).default(0.3) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => ({ y: input(inputs, 'x') }),
  forward: ({ inputs, params, training, random, constants = freshConstants }) => {
    const x = inputs.x!;
    if (!training || params.rate === 0) return { y: x };
    const y = tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(random.uniform(x.shape), constants.scalar(params.rate)), 'float32');
      return tf.mul(x, tf.mul(keep, constants.scalar(1 / (1 - params.rate))));
    });
    return { y };
  },
  torch: { module: ({ params }) => ({ class: 'Dropout', args: { rate: params.rate }, context: true }) },
  summary: (p) => `${p.rate}`,
  sequence: positionwise,
});
