import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { elementsPerItem, formatShape, type Shape } from '../base/shape.ts';
import { mismatch } from './common.ts';
import { defineNode } from './types.ts';

const params = z.strictObject({
  /** tensor: float values; tokens: int32 ids or class labels (a fixed class for a conditioned model). */
  type: z.enum(['tensor', 'tokens']).default('tensor'),
  /** zeros, ones, `value` everywhere, or the list `values` for every example. */
  fill: z.enum(['zeros', 'ones', 'value', 'values']).default('zeros'),
  value: z.number().min(-1e9).max(1e9).default(0),
  /** One example's values in row-major order; every example gets the same list. */
  values: z.array(z.number().min(-1e9).max(1e9)).max(65536).default([]),
  /** Each example's shape when `like` is not connected; [] gives one value per example, [B]. */
  shape: z.array(z.int().min(1).max(65536)).min(0).max(3).default([1]),
});

type ConstantParams = z.infer<typeof params>;

/** The values a tokens constant holds must be ids: whole numbers from 0. */
function checkIds(p: ConstantParams): void {
  if (p.type !== 'tokens') return;
  if (p.fill === 'value' && !(Number.isInteger(p.value) && p.value >= 0)) {
    throw new ShapeError('GC107', { param: 'value', reason: `token ids are whole numbers from 0, and ${p.value} is not one` });
  }
  const bad = p.fill === 'values' ? p.values.find((v) => !(Number.isInteger(v) && v >= 0)) : undefined;
  if (bad !== undefined) throw new ShapeError('GC107', { param: 'values', reason: `token ids are whole numbers from 0, and ${bad} is not one` });
}

/** The largest value a tokens constant holds. */
function largestId(p: ConstantParams): number {
  switch (p.fill) {
    case 'zeros':
      return 0;
    case 'ones':
      return 1;
    case 'value':
      return p.value;
    case 'values':
      return p.values.reduce((a, b) => Math.max(a, b), 0);
  }
}

function outputShape(p: ConstantParams, like: Shape | undefined): Shape {
  return like ?? ['B', ...p.shape];
}

/**
 * A tensor that is the same every step: zeros, ones, one value, or a list
 * repeated for every example; shaped by `shape` (batch first) or like its
 * `like` input. Tokens constants feed a fixed class or a fixed prompt.
 */
export const constantNode = defineNode({
  kind: 'Constant',
  category: 'data',
  title: 'Constant',
  description:
    'The same values every step: zeros, ones, one value, or a list given for each example; shaped [B, ...shape], or like the `like` input (its shape, batch included; `like` has the type of the output). As tokens it feeds fixed ids, such as one class label for every example of a conditioned model.',
  params,
  ports: (p) => ({
    inputs: [{ name: 'like', type: p.type, optional: true, doc: 'only its shape is used' }],
    outputs: [{ name: 'y', type: p.type }],
  }),
  infer: ({ inputs, params: p }) => {
    checkIds(p);
    if (inputs.like && inputs.like[0] !== 'B') throw mismatch('like', 'a batch axis first', inputs.like);
    const y = outputShape(p, inputs.like);
    if (p.fill === 'values' && p.values.length !== elementsPerItem(y)) {
      throw new ShapeError('GC107', {
        param: 'values',
        reason: `${p.values.length} values do not fill one example of ${formatShape(y)}, which holds ${elementsPerItem(y)}`,
      });
    }
    return { y };
  },
  forward: ({ inputs, params: p, outputShapes }) => {
    // A connected `like` gives the batch actually running (a sampler's count, a held-out batch).
    const shape = inputs.like ? inputs.like.shape : outputShapes.y!;
    const dtype = p.type === 'tokens' ? 'int32' : 'float32';
    switch (p.fill) {
      case 'zeros':
        return { y: tf.zeros(shape, dtype) };
      case 'ones':
        return { y: tf.ones(shape, dtype) };
      case 'value':
        return { y: tf.fill(shape, p.value, dtype) };
      case 'values':
        return {
          y: tf.tidy(() => {
            const example = tf.tensor(p.values, [1, ...shape.slice(1)], dtype);
            return tf.tile(example, [shape[0]!, ...shape.slice(1).map(() => 1)]);
          }),
        };
    }
  },
  // ctx gives the batch when `like` is unconnected.
  torch: {
    module: ({ params: p, inputs }) => ({
      class: 'Constant',
      args: {
        fill: p.fill,
        ...(p.fill === 'value' ? { value: p.value } : {}),
        ...(p.fill === 'values' ? { values: p.values } : {}),
        ...(inputs.like ? {} : { shape: p.shape }),
        ...(p.type === 'tokens' ? { tokens: true } : {}),
      },
      context: true,
    }),
  },
  tokenIds: { produces: (p): Record<string, number> => (p.type === 'tokens' ? { y: largestId(p) + 1 } : {}) },
  summary: (p) => {
    const what = p.fill === 'value' ? `${p.value}` : p.fill === 'values' ? `[${p.values.slice(0, 4).join(', ')}${p.values.length > 4 ? ', …' : ''}]` : p.fill;
    return `${p.type === 'tokens' ? 'ids ' : ''}${what}`;
  },
});
