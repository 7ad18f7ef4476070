import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normalizeAxis } from '../base/shape.ts';
import { BINARY_PORTS, expectRank, input, mismatch, positionwiseOnLastAxis } from './common.ts';
import { defineNode } from './types.ts';

/**
 * Joins two tensors along one axis. Volume-preserving, so it carries no
 * log-determinant; it also serves outside flows (U-Net skips).
 */
export const concatNode = defineNode({
  kind: 'Concat',
  category: 'flow',
  title: 'Concat',
  description: 'Joins a and b along an axis (by default the last); the other axes must agree. Running it backwards splits them again.',
  params: z.strictObject({
    /** Axis to join on; negative counts from the end. */
    axis: z.int().min(-3).max(3).default(-1),
  }),
  ports: BINARY_PORTS,
  infer: ({ inputs, params }) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    expectRank(a, 'a', 2, 4, '[B, ..., features]');
    const axis = normalizeAxis(params.axis, a.length);
    if (axis === undefined || axis === 0) throw mismatch('a', `a non-batch axis ${params.axis} to join on`, a);
    const sameElsewhere = b.length === a.length && a.every((d, i) => i === axis || d === b[i]);
    if (!sameElsewhere) {
      throw mismatch('b', `the shape of a, [${a.map((d, i) => (i === axis ? '*' : d)).join(', ')}], except on axis ${params.axis}`, b);
    }
    const da = a[axis] as number;
    const db = b[axis] as number;
    return { y: a.map((d, i) => (i === axis ? da + db : d)) };
  },
  forward: ({ inputs, params }) => {
    const a = inputs.a!;
    return { y: tf.concat([a, inputs.b!], normalizeAxis(params.axis, a.rank)!) };
  },
  invertible: {
    inputs: ['a', 'b'],
    outputs: ['y'],
    inverse: ({ outputs, params, inputShapes }) => {
      const y = outputs.y!;
      const axis = normalizeAxis(params.axis, y.rank)!;
      // a's size comes from the forward shapes: y alone cannot tell where a ended.
      const at = inputShapes.a![axis]!;
      const [a, b] = tf.split(y, [at, y.shape[axis]! - at], axis);
      return { a: a!, b: b! };
    },
  },
  torch: {
    inline: (params, inputs) => ({ y: `torch.cat([${inputs.a}, ${inputs.b}], dim=${params.axis})` }),
    inverse: (params, outputs, shapes) => {
      const axis = normalizeAxis(params.axis, shapes.a!.length)!;
      const [at, rest] = [shapes.a![axis], shapes.b![axis]];
      return { a: `${outputs.y}.narrow(${axis}, 0, ${at})`, b: `${outputs.y}.narrow(${axis}, ${at}, ${rest})` };
    },
  },
  summary: (p) => `axis ${p.axis}`,
  sequence: positionwiseOnLastAxis,
});
