import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { channelScaleShift, expectRank, input, lastDim, positionwise } from './common.ts';
import { defineNode } from './types.ts';

/** Normalises each position's features to zero mean and unit variance, then scales and shifts them. */
export const layerNormNode = defineNode({
  kind: 'LayerNorm',
  category: 'layer',
  title: 'Layer norm',
  description: "Normalises the last axis of each item to zero mean and unit variance, then applies a learned scale (gamma) and shift (beta).",
  params: z.strictObject({ epsilon: z.number().min(1e-12).max(1).default(1e-5) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    lastDim(x, 'x');
    return { y: x };
  },
  variables: ({ inputs }) => channelScaleShift(lastDim(input(inputs, 'x'), 'x')),
  forward: ({ inputs, vars, params }) => {
    const y = tf.tidy(() => {
      const x = inputs.x!;
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, params.epsilon)));
      return tf.add(tf.mul(normed, vars.gamma!), vars.beta!);
    });
    return { y };
  },
  torch: {
    module: ({ inputs, params }) => ({ class: 'LayerNorm', args: { features: lastDim(input(inputs, 'x'), 'x'), epsilon: params.epsilon } }),
    weights: () => ({ gamma: ['weight', 'same'], beta: ['bias', 'same'] }),
  },
  summary: (p) => `ε ${p.epsilon}`,
  sequence: positionwise,
});
