import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, headsError, input, lastDim, zHeads } from './common.ts';
import { defineNode } from './types.ts';

/** [B, T, H·d] -> [B, H, T, d], going through rank 4 only. */
export const splitHeadsNode = defineNode({
  kind: 'SplitHeads',
  category: 'layer',
  title: 'Split heads',
  description: 'Cuts the features of each position into `heads` equal parts and puts the heads before the positions: [B, T, H·d] → [B, H, T, d].',
  params: z.strictObject({ heads: zHeads() }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 3, 3, '[B, T, features]');
    const width = lastDim(x, 'x');
    if (width % params.heads !== 0) throw headsError(width, params.heads);
    return { y: [x[0]!, params.heads, x[1]!, width / params.heads] };
  },
  forward: ({ inputs, params }) => {
    const x = inputs.x!;
    const [b, t, width] = x.shape as [number, number, number];
    return { y: tf.tidy(() => tf.transpose(tf.reshape(x, [b, t, params.heads, width / params.heads]), [0, 2, 1, 3])) };
  },
  torch: { inline: (params, inputs) => ({ y: `${inputs.x}.unflatten(-1, (${params.heads}, -1)).transpose(1, 2)` }) },
  summary: (p) => `${p.heads} heads`,
});
