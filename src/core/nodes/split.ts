import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normalizeAxis, type Shape } from '../base/shape.ts';
import { expectRank, input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

const zSplitParams = z.strictObject({
  /** Axis to cut; negative counts from the end. The batch axis cannot be cut. */
  axis: z.int().min(-3).max(3).default(-1),
  /** Size of the first part along the axis; absent: half, rounded down. */
  at: z.int().min(1).max(65536).optional(),
});

/** Resolved axis and cut point, or a GC106 on x. */
export function splitPoint(x: Shape, params: { axis: number; at?: number | undefined }): { axis: number; at: number; size: number } {
  const axis = normalizeAxis(params.axis, x.length);
  if (axis === undefined || axis === 0) throw mismatch('x', `a non-batch axis ${params.axis} to split`, x);
  const size = x[axis];
  if (typeof size !== 'number' || size < 2) throw mismatch('x', `at least 2 entries on axis ${params.axis}`, x);
  const at = params.at ?? Math.floor(size / 2);
  if (at >= size) throw mismatch('x', `more than ${at} entries on axis ${params.axis} (the split point)`, x);
  return { axis, at, size };
}

/** Cuts a tensor in two along one axis; volume-preserving, so it carries no log-determinant. */
export const splitNode = defineNode({
  kind: 'Split',
  category: 'flow',
  title: 'Split',
  description: 'Cuts a tensor in two along an axis (by default the last, at its middle); joining the parts again undoes it.',
  params: zSplitParams,
  ports: {
    inputs: [{ name: 'x', type: 'tensor' }],
    outputs: [{ name: 'a', type: 'tensor', doc: 'the first part' }, { name: 'b', type: 'tensor', doc: 'the rest' }],
  },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    const { axis, at, size } = splitPoint(x, params);
    const a = x.map((d, i) => (i === axis ? at : d));
    const b = x.map((d, i) => (i === axis ? size - at : d));
    return { a, b };
  },
  forward: ({ inputs, params }) => {
    const x = inputs.x!;
    const { axis, at, size } = splitPoint(x.shape, params);
    const [a, b] = tf.split(x, [at, size - at], axis);
    return { a: a!, b: b! };
  },
  invertible: {
    inputs: ['x'],
    outputs: ['a', 'b'],
    inverse: ({ outputs, params }) => {
      const a = outputs.a!;
      return { x: tf.concat([a, outputs.b!], normalizeAxis(params.axis, a.rank)!) };
    },
  },
  torch: {
    inline: (params, inputs, shapes) => {
      const { axis, at } = splitPoint(shapes.x!, params);
      // x[..., :at] on the last axis, else x[:, :at] with a ':' per axis before it.
      const lead = axis === shapes.x!.length - 1 ? '..., ' : ':, '.repeat(axis);
      return { a: `${inputs.x}[${lead}:${at}]`, b: `${inputs.x}[${lead}${at}:]` };
    },
    inverse: (params, outputs, shapes) => ({ x: `torch.cat([${outputs.a}, ${outputs.b}], dim=${splitPoint(shapes.x!, params).axis})` }),
  },
  summary: (p) => `axis ${p.axis}${p.at === undefined ? ' · half' : ` · at ${p.at}`}`,
});
