import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, positionwise, zSize } from './common.ts';
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
    /** Standard deviation of the initial table: GPT-2's 0.02 for token embeddings; 1 (PyTorch's nn.Embedding) for a class embedding that must be heard beside other inputs from the start. */
    initStd: z.number().gt(0).max(10).default(0.02),
  }),
  ports: { inputs: [{ name: 'tokens', type: 'tokens' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const tokens = input(inputs, 'tokens');
    expectRank(tokens, 'tokens', 1, 2, 'token ids [B] or [B, T]');
    return { y: [...tokens, params.dim] };
  },
  variables: ({ params }) => [{ name: 'table', shape: [params.vocabSize, params.dim], init: { kind: 'normal', std: params.initStd } }],
  forward: ({ inputs, vars }) => {
    const tokens = inputs.tokens!;
    // Its gradient is an UnsortedSegmentSum into the table, which every backend has.
    const y = tokens.dtype === 'int32' ? tf.gather(vars.table!, tokens) : tf.tidy(() => tf.gather(vars.table!, tf.cast(tokens, 'int32')));
    return { y };
  },
  summary: (p) => `${p.vocabSize} → ${p.dim}`,
  sequence: positionwise,
  tokenIds: { indexes: (p) => [{ port: 'tokens', limit: p.vocabSize, what: `its vocabSize is ${p.vocabSize}` }] },
});
