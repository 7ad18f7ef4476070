import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

const isPermutation = (perm: readonly number[]) => perm.every((_, i) => perm.includes(i));

/** Reorders the axes of each item; the batch axis stays first. */
export const transposeNode = defineNode({
  kind: 'Transpose',
  category: 'layer',
  title: 'Transpose',
  description: 'Reorders the axes: output axis i is input axis perm[i]; perm[0] must be 0 because the batch axis stays first.',
  params: z
    .strictObject({ perm: z.array(z.int().min(0).max(3)).min(2).max(4).default([0, 2, 1]) })
    .refine((p) => isPermutation(p.perm), { message: 'perm must list each axis 0 … rank−1 exactly once', path: ['perm'] })
    .refine((p) => p.perm[0] === 0, { message: 'perm must start with 0: the batch axis always stays first', path: ['perm'] }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    if (x.length !== params.perm.length) throw mismatch('x', `rank ${params.perm.length} to match perm [${params.perm.join(', ')}]`, x);
    return { y: params.perm.map((axis) => x[axis]!) };
  },
  forward: ({ inputs, params }) => ({ y: tf.transpose(inputs.x!, params.perm) }),
  // Reorders axes, |det| = 1; the inverse applies the inverse permutation of the axes.
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    inverse: ({ outputs, params }) => {
      const back = new Array<number>(params.perm.length);
      params.perm.forEach((from, to) => (back[from] = to));
      return { x: tf.transpose(outputs.y!, back) };
    },
  },
  torch: {
    inline: (params, inputs) => ({ y: `${inputs.x}.permute(${params.perm.join(', ')})` }),
    inverse: (params, outputs) => {
      const back = new Array<number>(params.perm.length);
      params.perm.forEach((from, to) => (back[from] = to));
      return { x: `${outputs.y}.permute(${back.join(', ')})` };
    },
  },
  summary: (p) => `[${p.perm.join(', ')}]`,
});
