import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { channelScaleShift, expectRank, input, lastDim } from './common.ts';
import { defineNode } from './types.ts';

/** Groups of a GroupNorm; 32 in Wu & He and DDPM, 8 suits the narrower networks trained in a browser. */
export const zGroups = () => z.int().min(1).max(1024).default(8);

/** The problem of `channels` that do not split into `groups` equal groups, or undefined. */
export function groupsProblem(channels: number, groups: number, what: string): ShapeError | undefined {
  if (channels % groups === 0) return undefined;
  return new ShapeError('GC107', { param: 'groups', reason: `${what} has ${channels} channels, which do not split evenly into ${groups} groups; choose a number of groups that divides ${channels}` });
}

/**
 * Group normalisation (Wu & He 2018) over channels last: the channels of each
 * example are cut into `groups` groups, and each group is normalised over its
 * channels and every position ([B, D]: the group's features alone; [B, T, D]:
 * every step; [B, H, W, C]: every pixel); then a learned scale and shift per
 * channel. Unlike batch norm it uses no batch statistics, so examples (and a
 * diffusion model's noise levels) never mix. groups = 1 is layer norm over
 * the whole example, groups = channels is instance norm.
 */
export const groupNormNode = defineNode({
  kind: 'GroupNorm',
  category: 'layer',
  title: 'Group norm',
  description:
    'Cuts the channels (last axis) into groups and normalises each group of each example to zero mean and unit variance over its channels and all positions, then applies a learned scale (gamma) and shift (beta) per channel.',
  params: z.strictObject({
    groups: zGroups(),
    epsilon: z.number().min(1e-12).max(1).default(1e-5),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor', doc: '[B, D], [B, T, D] or [B, H, W, C]: channels last' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, D], [B, T, D] or [B, H, W, C]');
    const problem = groupsProblem(lastDim(x, 'x'), params.groups, 'x');
    if (problem) throw problem;
    return { y: x };
  },
  variables: ({ inputs }) => channelScaleShift(lastDim(input(inputs, 'x'), 'x')),
  forward: ({ inputs, vars, params }) => {
    const y = tf.tidy(() => {
      const x = inputs.x!;
      const batch = x.shape[0]!;
      const channels = x.shape[x.rank - 1]!;
      const positions = x.size / (batch * channels);
      // [B, positions, groups, channels per group] keeps every case at rank 4; the statistics run over axes 1 and 3.
      const grouped = tf.reshape(x, [batch, positions, params.groups, channels / params.groups]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      const normed = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, params.epsilon))), x.shape);
      return tf.add(tf.mul(normed, vars.gamma!), vars.beta!);
    });
    return { y };
  },
  torch: {
    module: ({ inputs, params }) => ({ class: 'GroupNorm', args: { channels: lastDim(input(inputs, 'x'), 'x'), groups: params.groups, epsilon: params.epsilon } }),
    weights: () => ({ gamma: ['weight', 'same'], beta: ['bias', 'same'] }),
  },
  summary: (p) => `${p.groups} groups`,
});
