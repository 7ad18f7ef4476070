import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

/**
 * Random points on the segments between two batches: x̂ = ε·a + (1 − ε)·b,
 * one ε ~ U(0, 1) per example (shared by all of its elements), drawn afresh
 * every step. WGAN-GP (Gulrajani et al. 2017) takes its gradient penalty at
 * such points between real (a) and generated (b) data.
 */
export const interpolateNode = defineNode({
  kind: 'Interpolate',
  category: 'layer',
  title: 'Interpolate',
  description:
    'Random points between two batches, x = ε·a + (1 − ε)·b with one ε uniform in [0, 1] per example, fresh every step: where WGAN-GP takes its gradient penalty, between real (a) and generated (b) data.',
  params: z.strictObject({}),
  ports: {
    inputs: [
      { name: 'a', type: 'tensor', doc: 'one end of each segment (real data)' },
      { name: 'b', type: 'tensor', doc: 'the other end, the same shape (generated data)' },
    ],
    outputs: [{ name: 'x', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    if (a[0] !== 'B') throw mismatch('a', 'a batch axis first, e.g. [B, 2]', a);
    if (!sameShape(a, b)) throw new ShapeError('GC106', { port: 'b', expected: `the shape of a, ${formatShape(a)}`, got: b }, 'b');
    return { x: a };
  },
  forward: ({ inputs, random }) => {
    const a = inputs.a!;
    const epsilon = random.uniform([a.shape[0]!, ...a.shape.slice(1).map(() => 1)]);
    const x = tf.tidy(() => tf.add(tf.mul(epsilon, a), tf.mul(tf.sub(1, epsilon), inputs.b!)));
    epsilon.dispose();
    return { x };
  },
  torch: { module: () => ({ class: 'Interpolate', args: {}, context: true }) },
});
