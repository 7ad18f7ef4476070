import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { chainLogdet, checkLogdet, expectRank, input, logdetInput, logdetOutput, scaleBy, sumPerExample } from './common.ts';
import { freshConstants } from './constants.ts';
import { defineNode } from './types.ts';

/**
 * RealNVP's logit transform of data in [0, 1]: s = α + (1 − 2α)·x keeps
 * away from 0 and 1, then y = log s − log(1 − s). Near-black and
 * near-white pixels, which fill a sliver of [0, 1], are spread over the real
 * line, so a flow no longer has to learn that stretch with its own scales.
 * dy/dx = (1 − 2α) / (s(1 − s)) per element, so
 * log|det J| = Σ [log(1 − 2α) − log s − log(1 − s)].
 */
export const logitNode = defineNode({
  kind: 'Logit',
  category: 'flow',
  title: 'Logit transform',
  description:
    "RealNVP's logit transform of data in [0, 1]: y = logit(α + (1 − 2α)·x), adding its log-determinant; it spreads values near 0 and 1 over the real line before a flow.",
  params: z.strictObject({
    /** Margin kept from 0 and 1: logit(α) and logit(1 − α) bound the output (RealNVP used 0.05 on MNIST). */
    alpha: z.number().min(1e-6).max(0.49).default(0.05),
  }),
  ports: {
    inputs: [{ name: 'x', type: 'tensor', doc: 'values in [0, 1]' }, logdetInput],
    outputs: [{ name: 'y', type: 'tensor' }, logdetOutput],
  },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ...]');
    checkLogdet(inputs);
    return { y: x, logdet: ['B'] };
  },
  forward: ({ inputs, params, constants = freshConstants }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      const s = tf.add(scaleBy(x, 1 - 2 * params.alpha, constants), constants.scalar(params.alpha));
      const logS = tf.log(s);
      const log1mS = tf.log1p(tf.neg(s));
      const own = tf.sub(constants.scalar(Math.log(1 - 2 * params.alpha)), tf.add(logS, log1mS));
      return { y: tf.sub(logS, log1mS), logdet: chainLogdet(inputs.logdet, sumPerExample(own), x.shape[0]!) };
    }),
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    inverse: ({ outputs, params }) => ({ x: tf.tidy(() => tf.div(tf.sub(tf.sigmoid(outputs.y!), params.alpha), 1 - 2 * params.alpha)) }),
  },
  torch: { module: ({ params }) => ({ class: 'Logit', args: { alpha: params.alpha } }) },
  summary: (p) => `α ${p.alpha}`,
});
