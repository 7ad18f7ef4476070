import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../base/random.ts';
import { chainLogdet, checkLogdet, expectRank, input, lastDim, logdetInput, logdetOutput } from './common.ts';
import { defineNode } from './types.ts';

/** The fixed order of the last axis: reversed, or shuffled (Fisher–Yates) from the seed. */
export function permutation(size: number, mode: 'reverse' | 'random', seed: number): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  if (mode === 'reverse') return order.reverse();
  const rng = new Rng(seed);
  for (let i = size - 1; i > 0; i--) {
    const j = rng.integer(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export function inversePermutation(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((from, to) => (inverse[from] = to));
  return inverse;
}

/** Reorders features between couplings so every feature gets transformed; a permutation has |det| = 1. */
export const permuteNode = defineNode({
  kind: 'Permute',
  category: 'flow',
  title: 'Permute',
  description: 'Reorders the last axis (reversed, or a fixed shuffle from a seed) so the next coupling transforms the other features.',
  params: z.strictObject({
    mode: z.enum(['reverse', 'random']).default('reverse'),
    /** Chooses the shuffle in random mode; give each Permute its own. */
    seed: z.int().min(0).max(2147483647).default(0),
  }),
  ports: {
    inputs: [{ name: 'x', type: 'tensor' }, logdetInput],
    outputs: [{ name: 'y', type: 'tensor' }, logdetOutput],
  },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    lastDim(x, 'x');
    checkLogdet(inputs);
    return { y: x, logdet: ['B'] };
  },
  forward: ({ inputs, params }) => {
    const x = inputs.x!;
    const order = permutation(x.shape[x.rank - 1]!, params.mode, params.seed);
    return {
      y: tf.tidy(() => tf.gather(x, tf.tensor1d(order, 'int32'), x.rank - 1)),
      logdet: chainLogdet(inputs.logdet, 0, x.shape[0]!),
    };
  },
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    inverse: ({ outputs, params }) => {
      const y = outputs.y!;
      const order = inversePermutation(permutation(y.shape[y.rank - 1]!, params.mode, params.seed));
      return { x: tf.tidy(() => tf.gather(y, tf.tensor1d(order, 'int32'), y.rank - 1)) };
    },
  },
  // The order itself, drawn here from the seed, so that PyTorch needs no copy of our generator.
  torch: {
    module: ({ inputs, params }) => ({ class: 'Permute', args: { order: permutation(lastDim(input(inputs, 'x'), 'x'), params.mode, params.seed) } }),
  },
  summary: (p) => (p.mode === 'reverse' ? 'reverse' : `random · seed ${p.seed}`),
});
