import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, positionwise, zSize } from './common.ts';
import { ownOrTied, zTiedTo } from './tying.ts';
import { defineNode } from './types.ts';

/** A learned vector per token id: tokens [B, T] (or [B], or a code map [B, H, W]) -> [B, T, dim] (or [B, H, W, dim]). */
export const embeddingNode = defineNode({
  kind: 'Embedding',
  category: 'layer',
  title: 'Embedding',
  description: 'Turns each token id into a learned vector of `dim` numbers (a lookup in a vocabSize × dim table; `tiedTo` makes the table another node\'s matrix, such as a quantizer\'s codebook).',
  params: z.strictObject({
    vocabSize: zSize(1 << 20, 28),
    dim: zSize(65536, 64),
    /** Standard deviation of the initial table: GPT-2's 0.02 for token embeddings; 1 (PyTorch's nn.Embedding) for a class embedding that must be heard beside other inputs from the start. */
    initStd: z.number().gt(0).max(10).default(0.02),
    /** Weight tying: the id of a node whose matrix is this table, one variable for both (a VectorQuantizer's codebook, to look up a prior's sampled codes; another Embedding's table). Its shape must be vocabSize × dim. */
    tiedTo: zTiedTo,
    /** Scale each looked-up vector to unit length: to read the codebook of a VectorQuantizer whose `normalize` is on, whose outputs are its codes at unit length. */
    normalize: z.boolean().default(false),
  }),
  ports: { inputs: [{ name: 'tokens', type: 'tokens' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const tokens = input(inputs, 'tokens');
    expectRank(tokens, 'tokens', 1, 3, 'token ids [B] or [B, T], or a map of code ids [B, H, W]');
    return { y: [...tokens, params.dim] };
  },
  variables: ({ params }) => [ownOrTied('table', [params.vocabSize, params.dim], { kind: 'normal', std: params.initStd }, params.tiedTo)],
  lends: 'table',
  forward: ({ inputs, vars, params }) => {
    const tokens = inputs.tokens!;
    // Its gradient is an UnsortedSegmentSum into the table, which every backend has.
    const y = tokens.dtype === 'int32' ? tf.gather(vars.table!, tokens) : tf.tidy(() => tf.gather(vars.table!, tf.cast(tokens, 'int32')));
    if (!params.normalize) return { y };
    // At unit length, computed as the quantizer computes it.
    return { y: tf.tidy(() => tf.div(y, tf.sqrt(tf.add(tf.sum(tf.square(y), -1, true), 1e-12)))) };
  },
  // A tied table is the lender's matrix as it stands: model.py assigns the lender's parameter (docs/export.md).
  torch: {
    module: ({ params }) => ({ class: 'Embedding', args: { vocab_size: params.vocabSize, dim: params.dim, ...(params.normalize ? { normalize: true } : {}) } }),
    weights: () => ({ table: ['weight', 'same'] }),
  },
  summary: (p) => `${p.vocabSize} → ${p.dim}${p.tiedTo ? ` · table of ${p.tiedTo}` : ''}${p.normalize ? ' · unit' : ''}`,
  sequence: positionwise,
  tokenIds: { indexes: (p) => [{ port: 'tokens', limit: p.vocabSize, what: `its vocabSize is ${p.vocabSize}` }] },
});
