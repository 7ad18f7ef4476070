import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, mismatch } from './common.ts';
import { defineNode } from './types.ts';
import { freshConstants } from './constants.ts';

/**
 * The DDPM timestep embedding (Ho et al.'s get_timestep_embedding): with
 * half = dim / 2, frequencies f_i = exp(-ln(maxPeriod) · i / (half - 1)) for
 * i = 0..half-1, and the output [sin(t·f), cos(t·f)] (sines first). With
 * dim 2 the single frequency is 1.
 */
export function timestepFrequencies(dim: number, maxPeriod: number): number[] {
  const half = dim / 2;
  const denom = Math.max(half - 1, 1);
  return Array.from({ length: half }, (_, i) => Math.exp((-Math.log(maxPeriod) * i) / denom));
}

export const sinusoidalEmbeddingNode = defineNode({
  kind: 'SinusoidalEmbedding',
  category: 'layer',
  title: 'Sinusoidal embedding',
  description: 'Turns integer timesteps [B] into vectors [B, dim] of sines and cosines at geometrically spaced frequencies.',
  params: z.strictObject({
    dim: z.int().min(2).max(4096).multipleOf(2).default(64),
    maxPeriod: z.number().min(2).max(1e6).default(10000),
  }),
  ports: { inputs: [{ name: 't', type: 'tokens', doc: 'integer timesteps [B]' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const t = input(inputs, 't');
    if (t.length !== 1 || t[0] !== 'B') throw mismatch('t', 'one timestep per example, [B]', t);
    return { y: ['B', params.dim] };
  },
  forward: ({ inputs, params, constants = freshConstants }) => {
    const y = tf.tidy(() => {
      const freqs = constants.get(`timestepFrequencies:${params.dim}:${params.maxPeriod}`, () => tf.tensor2d(timestepFrequencies(params.dim, params.maxPeriod), [1, params.dim / 2]));
      const args = tf.mul(tf.reshape(tf.cast(inputs.t!, 'float32'), [-1, 1]), freqs);
      return tf.concat([tf.sin(args), tf.cos(args)], 1);
    });
    return { y };
  },
  torch: { module: ({ params }) => ({ class: 'SinusoidalEmbedding', args: { dim: params.dim, max_period: params.maxPeriod } }) },
  summary: (p) => `${p.dim}`,
});
