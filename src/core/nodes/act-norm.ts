import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { elementsPerItem } from '../base/shape.ts';
import { chainLogdet, channelFlowPorts, inferChannelFlow, input, lastDim, scaleBy } from './common.ts';
import { defineNode } from './types.ts';

/**
 * Glow's activation normalization: a learned per-channel affine map,
 * y = (x + bias) · exp(logScale). Glow initialises bias and logScale from the
 * first batch so that y has zero mean and unit variance per channel; that
 * data-dependent start is the training runtime's job, and until it runs the
 * layer starts as the identity.
 */
export const actNormNode = defineNode({
  kind: 'ActNorm',
  category: 'flow',
  title: 'ActNorm',
  description: 'Per-channel learned shift and scale, y = (x + bias) · exp(logScale), adding its log-determinant: a batch-independent normalisation for flows.',
  params: z.strictObject({}),
  ports: channelFlowPorts,
  infer: ({ inputs }) => inferChannelFlow(inputs),
  variables: ({ inputs }) => {
    const channels = lastDim(input(inputs, 'x'), 'x');
    return [
      { name: 'logScale', shape: [channels], init: { kind: 'zeros' } },
      { name: 'bias', shape: [channels], init: { kind: 'zeros' } },
    ];
  },
  forward: ({ inputs, vars, constants }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      const logScale = vars.logScale!;
      // Each position of an example (pixel, time step) is scaled alike.
      const positions = elementsPerItem(x.shape.slice(1)) / x.shape[x.rank - 1]!;
      return {
        y: tf.mul(tf.add(x, vars.bias!), tf.exp(logScale)),
        logdet: chainLogdet(inputs.logdet, scaleBy(tf.sum(logScale), positions, constants), x.shape[0]!),
      };
    }),
  torch: {
    module: ({ inputs }) => ({ class: 'ActNorm', args: { channels: lastDim(input(inputs, 'x'), 'x') } }),
    weights: () => ({ logScale: ['log_scale', 'same'], bias: ['bias', 'same'] }),
  },
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    inverse: ({ outputs, vars }) => ({ x: tf.tidy(() => tf.sub(tf.mul(outputs.y!, tf.exp(tf.neg(vars.logScale!))), vars.bias!)) }),
  },
});
