import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { mismatch, input } from './common.ts';
import { defineNode } from './types.ts';

const params = z.strictObject({
  /** Share of examples trained without their condition; 0.1 to 0.2 in Ho & Salimans (2022). */
  rate: z.number().min(0).max(1).default(0.1),
  /** The label that stands for "no condition": an id the tables downstream hold beside the classes (10 for MNIST's digits). */
  nullLabel: z.int().min(0).max(1 << 20).default(10),
});

/**
 * Classifier-free guidance's training half (Ho & Salimans 2022): while
 * training, each example's class label is replaced by the null label with
 * probability `rate`, so one model learns both p(x | class) and p(x). At
 * sampling it passes labels through; a guided sampler finds the null label
 * here and runs the model once with the chosen labels and once with it.
 */
export const conditionDropoutNode = defineNode({
  kind: 'ConditionDropout',
  category: 'layer',
  title: 'Condition dropout',
  description: 'While training, replaces each class label by the null label with probability rate (classifier-free guidance); passes labels through when sampling.',
  params,
  ports: { inputs: [{ name: 'labels', type: 'tokens' }], outputs: [{ name: 'labels', type: 'tokens' }] },
  infer: ({ inputs }) => {
    const labels = input(inputs, 'labels');
    if (labels.length !== 1 || labels[0] !== 'B') throw mismatch('labels', 'one class label per example [B]', labels);
    return { labels };
  },
  forward: ({ inputs, params, training, random }) => {
    const labels = inputs.labels!;
    if (!training || params.rate === 0) return { labels };
    return { labels: tf.tidy(() => tf.where(tf.less(random.uniform(labels.shape), params.rate), tf.fill(labels.shape, params.nullLabel, 'int32'), tf.cast(labels, 'int32'))) };
  },
  torch: { module: ({ params }) => ({ class: 'ConditionDropout', args: { rate: params.rate, null_label: params.nullLabel }, context: true }) },
  nullLabel: (p) => p.nullLabel,
  tokenIds: { produces: (p) => ({ labels: p.nullLabel + 1 }), passes: () => ({ labels: 'labels' }) },
  summary: (p) => `${p.rate} → ${p.nullLabel}`,
});
