import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normalizeAxis } from '../base/shape.ts';
import { input, mismatch, positionwiseOnLastAxis } from './common.ts';
import { defineNode } from './types.ts';

export const softmaxNode = defineNode({
  kind: 'Softmax',
  category: 'layer',
  title: 'Softmax',
  description: 'Turns scores along one axis into probabilities that are positive and sum to 1 (attention weights, class probabilities).',
  params: z.strictObject({
    /** Negative counts from the end; the batch axis 0 is not allowed. */
    axis: z.int().min(-3).max(3).default(-1),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    const axis = normalizeAxis(params.axis, x.length);
    // Probabilities across the batch would mix independent examples.
    if (axis === undefined || axis === 0) throw mismatch('x', `an axis ${params.axis} that exists and is not the batch axis (rank ≥ 2)`, x);
    return { y: x };
  },
  forward: ({ inputs, params }) => {
    const x = inputs.x!;
    const axis = normalizeAxis(params.axis, x.rank)!;
    // TF.js's softmax only handles the last axis.
    if (axis === x.rank - 1) return { y: tf.softmax(x) };
    const y = tf.tidy(() => {
      const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
      return tf.div(e, tf.sum(e, axis, true));
    });
    return { y };
  },
  torch: { inline: (params, inputs) => ({ y: `torch.softmax(${inputs.x}, dim=${params.axis})` }) },
  summary: (p) => `axis ${p.axis}`,
  sequence: positionwiseOnLastAxis,
});
