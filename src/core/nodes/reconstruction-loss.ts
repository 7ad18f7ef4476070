import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input, sumPerExample, zLossFields } from './common.ts';
import { scaledSumFused, type PairTerm } from './fused.ts';
import { defineNode } from './types.ts';

// Fused form: the whole loss in one kernel, each input's gradient in one (fused.ts, scaledSumFused).

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** BCE of logit a against target b, max(a, 0) − a·b + log(1 + e^−|a|); ∂a = σ(a) − b. */
export const BCE_FROM_LOGITS: PairTerm = {
  name: 'bce_logits',
  value: (a, b) => Math.max(a, 0) - a * b + Math.log1p(Math.exp(-Math.abs(a))),
  da: (a, b) => sigmoid(a) - b,
  db: (a) => -a,
  wgsl: { value: 'max(a, 0.0) - a * b + log(1.0 + exp(-abs(a)))', da: 'gcSigmoid(a) - b', db: '-a' },
};

/** (a − b)². */
export const SQUARED_ERROR: PairTerm = {
  name: 'squared_error',
  value: (a, b) => (a - b) ** 2,
  da: (a, b) => 2 * (a - b),
  db: (a, b) => -2 * (a - b),
  wgsl: { value: '(a - b) * (a - b)', da: '2.0 * (a - b)', db: '-2.0 * (a - b)' },
};

/**
 * The loss per element, unreduced: squared error, or binary cross-entropy
 * from logits or from probabilities. The node reduces it; the importance-
 * weighted bound (train/family-eval.ts) sums it per example as −log p(x | z).
 */
export function reconstructionError(prediction: tf.Tensor, target: tf.Tensor, params: { loss: 'bce' | 'mse'; fromLogits: boolean }): tf.Tensor {
  return tf.tidy(() => {
    const [p, t] = [prediction, target];
    if (params.loss === 'mse') return tf.squaredDifference(p, t);
    // max(p, 0) - p·t + log(1 + exp(-|p|)): no overflow for large logits.
    if (params.fromLogits) return tf.add(tf.sub(tf.relu(p), tf.mul(p, t)), tf.log1p(tf.exp(tf.neg(tf.abs(p)))));
    const eps = 1e-7;
    const q = tf.clipByValue(p, eps, 1 - eps);
    return tf.neg(tf.add(tf.mul(t, tf.log(q)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, q)))));
  });
}

/**
 * How far a reconstruction is from its target. `sum` adds over each example's
 * elements and averages over the batch, which gives nats per example for BCE
 * (the VAE's ELBO convention); `mean` averages over everything.
 */
export const reconstructionLossNode = defineNode({
  kind: 'ReconstructionLoss',
  category: 'objective',
  title: 'Reconstruction loss',
  description: 'Binary cross-entropy (from logits or probabilities) or mean squared error between a prediction and its target.',
  params: z.strictObject({
    loss: z.enum(['bce', 'mse']).default('bce'),
    /** BCE: the prediction is a logit (stable) rather than a probability. */
    fromLogits: z.boolean().default(true),
    reduction: z.enum(['sum', 'mean']).default('sum'),
    ...zLossFields,
  }),
  ports: {
    inputs: [{ name: 'prediction', type: 'tensor' }, { name: 'target', type: 'tensor' }],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const prediction = input(inputs, 'prediction');
    const target = input(inputs, 'target');
    if (!sameShape(prediction, target)) {
      throw new ShapeError('GC106', { port: 'target', expected: `the prediction's shape ${formatShape(prediction)}`, got: target }, 'target');
    }
    return { loss: [] };
  },
  forward: ({ inputs, params, fused }) => {
    const loss = tf.tidy(() => {
      const p = inputs.prediction!;
      const t = inputs.target!;
      const term = params.loss === 'mse' ? SQUARED_ERROR : params.fromLogits ? BCE_FROM_LOGITS : undefined;
      // sum: the mean over examples of each one's sum; mean: over every element.
      const fusedLoss = fused && term ? scaledSumFused(term, p, t, params.weight / (params.reduction === 'sum' ? p.shape[0]! : p.size)) : undefined;
      if (fusedLoss) return fusedLoss;
      const elementwise = reconstructionError(p, t, params);
      const reduced = params.reduction === 'sum' ? tf.mean(sumPerExample(elementwise)) : tf.mean(elementwise);
      return tf.mul(reduced, params.weight);
    });
    return { loss };
  },
  torch: {
    module: ({ params }) => ({ class: 'ReconstructionLoss', args: { loss: params.loss, from_logits: params.fromLogits, reduction: params.reduction, weight: params.weight } }),
  },
  summary: (p) => `${p.loss} · ${p.objective}`,
});
