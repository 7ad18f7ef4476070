import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, lastDim, mismatch } from './common.ts';
import { defineNode } from './types.ts';

/** Transformer sinusoids: even features sin(pos / 10000^(2i/D)), odd ones the matching cos. */
export function sinusoidTable(length: number, dim: number): Float32Array {
  const table = new Float32Array(length * dim);
  for (let pos = 0; pos < length; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      table[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

const sinusoidCache = new Map<string, Float32Array>();
function cachedSinusoids(length: number, dim: number): Float32Array {
  const key = `${length}x${dim}`;
  let table = sinusoidCache.get(key);
  if (!table) sinusoidCache.set(key, (table = sinusoidTable(length, dim)));
  return table;
}

/** Adds where each position sits, since attention alone ignores order. */
export const positionalEncodingNode = defineNode({
  kind: 'PositionalEncoding',
  category: 'layer',
  title: 'Positional encoding',
  description: 'Adds a vector for each position of a sequence (learned, or fixed sinusoids) so that attention can tell positions apart.',
  params: z.strictObject({
    mode: z.enum(['learned', 'sinusoidal']).default('learned'),
    /** The longest sequence the node accepts (the learned table's rows). */
    maxLength: z.int().min(1).max(8192).default(256),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 3, 3, '[B, T, features]');
    lastDim(x, 'x');
    const t = x[1];
    if (typeof t !== 'number' || t > params.maxLength) throw mismatch('x', `at most maxLength = ${params.maxLength} positions`, x);
    return { y: x };
  },
  variables: ({ inputs, params }) =>
    params.mode === 'learned' ? [{ name: 'positions', shape: [params.maxLength, lastDim(input(inputs, 'x'), 'x')], init: { kind: 'normal', std: 0.02 } }] : [],
  forward: ({ inputs, vars, params }) => {
    const x = inputs.x!;
    const [, t, d] = x.shape as [number, number, number];
    const y = tf.tidy(() => {
      const table = params.mode === 'learned' ? tf.slice(vars.positions!, [0, 0], [t, d]) : tf.tensor2d(cachedSinusoids(t, d), [t, d]);
      return tf.add(x, table);
    });
    return { y };
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'PositionalEncoding',
      args: { features: lastDim(input(inputs, 'x'), 'x'), max_length: params.maxLength, ...(params.mode === 'learned' ? {} : { mode: params.mode }) },
    }),
    weights: ({ params }): Record<string, readonly [string, 'same']> => (params.mode === 'learned' ? { positions: ['positions', 'same'] } : {}),
  },
  summary: (p) => `${p.mode} · ≤${p.maxLength}`,
});
