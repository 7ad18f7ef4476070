import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input } from './common.ts';
import { defineNode } from './types.ts';

/**
 * The straight-through estimator (Bengio et al. 2013; VQ-VAE's quantiser):
 * y = g + stopGradient(v − g). Forward it is v exactly; backward it is the
 * identity from y to g, and v gets nothing. So a rounding, a sample or a
 * codebook look-up (v) trains what produced its continuous input (g).
 */
export const straightThroughNode = defineNode({
  kind: 'StraightThrough',
  category: 'layer',
  title: 'Straight-through',
  description:
    'Outputs its value input, but sends the gradient to its gradient input as if it were the identity (y = g + stopGradient(v − g)): trains through a rounding, a sample or a codebook look-up.',
  params: z.strictObject({}),
  ports: {
    inputs: [
      { name: 'value', type: 'tensor', doc: 'the tensor passed on: quantised, rounded or sampled' },
      { name: 'gradient', type: 'tensor', doc: 'the continuous tensor the gradient goes to, as if y were it; the shape of value' },
    ],
    outputs: [{ name: 'y', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const value = input(inputs, 'value');
    const gradient = input(inputs, 'gradient');
    if (!sameShape(value, gradient)) throw new ShapeError('GC106', { port: 'gradient', expected: `the shape of value, ${formatShape(value)}`, got: gradient }, 'gradient');
    return { y: value };
  },
  forward: ({ inputs }) => {
    // The value exactly (g + (v − g) would round in float32); the gradient straight to g.
    const passThrough = tf.customGrad((value: tf.Tensor | tf.GradSaveFunc) => ({
      value: tf.clone(value as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy), tf.clone(dy)],
    }));
    return { y: passThrough(inputs.value!, inputs.gradient!) };
  },
  torch: { inline: (_params, { value, gradient }) => ({ y: `${gradient} + (${value} - ${gradient}).detach()` }) },
});
