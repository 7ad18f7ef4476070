import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { elementsPerItem } from '../base/shape.ts';
import { expectRank, input, mismatch, scaleBy, sumPerExample, zLossFields } from './common.ts';
import { defineNode } from './types.ts';
import { freshConstants } from './constants.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A normalizing flow's exact negative log-likelihood by the change of
 * variables: −log p(x) = −log N(z; 0, I) − log|det ∂z/∂x|.
 */
export const flowNllNode = defineNode({
  kind: 'FlowNLL',
  category: 'objective',
  title: 'Flow NLL',
  description: "A flow's exact negative log-likelihood in nats: 0.5·|z|² + 0.5·D·log 2π − log|det J|, averaged over the batch.",
  params: z.strictObject({
    /** Divide by the number of dimensions D (nats per dimension) rather than report nats per example. */
    perDimension: z.boolean().default(false),
    ...zLossFields,
  }),
  ports: {
    inputs: [{ name: 'z', type: 'tensor', doc: 'the end of the flow chain' }, { name: 'logdet', type: 'tensor', doc: 'the summed log|det J| [B]' }],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const z = input(inputs, 'z');
    expectRank(z, 'z', 2, 4, '[B, D]');
    const logdet = input(inputs, 'logdet');
    if (!(logdet.length === 1 && logdet[0] === 'B')) throw mismatch('logdet', 'a per-example log-determinant [B]', logdet);
    return { loss: [] };
  },
  forward: ({ inputs, params, constants = freshConstants }) => ({
    loss: tf.tidy(() => {
      const z = inputs.z!;
      const d = elementsPerItem(z.shape.slice(1));
      const nll = tf.sub(tf.add(tf.mul(constants.scalar(0.5), sumPerExample(tf.square(z))), constants.scalar(d * HALF_LOG_2PI)), inputs.logdet!);
      const mean = tf.mean(nll);
      return scaleBy(mean, (params.perDimension ? 1 / d : 1) * params.weight, constants);
    }),
  }),
  torch: { module: ({ params }) => ({ class: 'FlowNLL', args: { per_dimension: params.perDimension, weight: params.weight } }) },
  summary: (p) => `${p.perDimension ? 'nats/dim' : 'nats'} · ${p.objective}`,
});
