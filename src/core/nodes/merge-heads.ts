import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

/** [B, H, T, d] -> [B, T, H·d], the inverse of SplitHeads. */
export const mergeHeadsNode = defineNode({
  kind: 'MergeHeads',
  category: 'layer',
  title: 'Merge heads',
  description: 'Puts the heads of each position back side by side: [B, H, T, d] → [B, T, H·d].',
  params: z.strictObject({}),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 4, 4, '[B, heads, T, d]');
    const [b, h, t, d] = x;
    if (typeof h !== 'number' || typeof t !== 'number' || typeof d !== 'number') throw mismatch('x', '[B, heads, T, d]', x);
    return { y: [b!, t, h * d] };
  },
  forward: ({ inputs }) => {
    const x = inputs.x!;
    const [b, h, t, d] = x.shape as [number, number, number, number];
    return { y: tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * d])) };
  },
  torch: { inline: (_params, inputs) => ({ y: `${inputs.x}.transpose(1, 2).flatten(2)` }) },
});
