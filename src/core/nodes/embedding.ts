import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, zSize } from './common.ts';
import { defineNode } from './types.ts';

/** A learned vector per token id: tokens [B, T] (or [B]) -> [B, T, dim]. */
export const embeddingNode = defineNode({
  kind: 'Embedding',
  category: 'layer',
  title: 'Embedding',
  description: 'Turns each token id into a learned vector of `dim` numbers (a lookup in a vocabSize × dim table).',
  params: z.strictObject({
    vocabSize: zSize(1 << 20, 28),
    dim: zSize(65536, 64),
  }),
  ports: { inputs: [{ name: 'tokens', type: 'tokens' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const tokens = input(inputs, 'tokens');
    expectRank(tokens, 'tokens', 1, 2, 'token ids [B] or [B, T]');
    return { y: [...tokens, params.dim] };
  },
  // GPT-2's initialisation.
  variables: ({ params }) => [{ name: 'table', shape: [params.vocabSize, params.dim], init: { kind: 'normal', std: 0.02 } }],
  forward: ({ inputs, vars }) => {
    const tokens = inputs.tokens!;
    // Its gradient is an UnsortedSegmentSum into the table, which every backend has.
    const y = tokens.dtype === 'int32' ? tf.gather(vars.table!, tokens) : tf.tidy(() => tf.gather(vars.table!, tf.cast(tokens, 'int32')));
    return { y };
  },
  summary: (p) => `${p.vocabSize} → ${p.dim}`,
  tokenIds: { indexes: (p) => [{ port: 'tokens', limit: p.vocabSize, what: `its vocabSize is ${p.vocabSize}` }] },
});
