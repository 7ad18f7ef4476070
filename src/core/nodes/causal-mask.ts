import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

/** Added to masked scores: softmax then gives them exp(-1e9) = 0 without producing NaN. */
export const MASKED_SCORE = -1e9;

const maskCache = new Map<number, Float32Array>();
/** [T, T]: 0 where key j ≤ query i, MASKED_SCORE where j > i. */
export function causalMaskValues(t: number): Float32Array {
  let mask = maskCache.get(t);
  if (!mask) {
    mask = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = MASKED_SCORE;
    maskCache.set(t, mask);
  }
  return mask;
}

/** Hides later positions from earlier ones, so a model cannot peek at the tokens it must predict. */
export const causalMaskNode = defineNode({
  kind: 'CausalMask',
  category: 'layer',
  title: 'Causal mask',
  description: 'Sets attention scores of later positions (key j > query i) to −1e9 so that, after softmax, each position only sees itself and earlier ones.',
  params: z.strictObject({}),
  ports: { inputs: [{ name: 'scores', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const scores = input(inputs, 'scores');
    expectRank(scores, 'scores', 3, 4, 'attention scores [B, T, T] or [B, H, T, T]');
    if (scores[scores.length - 1] !== scores[scores.length - 2]) throw mismatch('scores', 'square scores [.., T, T] (queries and keys of one sequence)', scores);
    return { y: scores };
  },
  forward: ({ inputs }) => {
    const scores = inputs.scores!;
    const t = scores.shape[scores.rank - 1]!;
    return { y: tf.tidy(() => tf.add(scores, tf.tensor2d(causalMaskValues(t), [t, t]))) };
  },
  // Added, as here, rather than filled: masked scores are score − 1e9.
  torch: { inline: (_params, { scores }) => ({ y: `${scores} + gc.causal_mask(${scores})` }) },
});
