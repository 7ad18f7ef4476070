import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { formatShape, sameShape } from '../base/shape.ts';
import { expectRank, input, lastDim, mismatch, targetLogProb, zLossFields } from './common.ts';
import { tokenCrossEntropyFused } from './fused.ts';
import { defineNode } from './types.ts';

/** A language model's loss: nats per predicted token, padding left out. */
export const nextTokenCrossEntropyNode = defineNode({
  kind: 'NextTokenCrossEntropy',
  category: 'objective',
  title: 'Next-token cross-entropy',
  description: "How surprised the model is by each next token: the mean of −log p(target) over all positions (in nats per token), skipping positions whose target is the ignored id. Over a map of code ids [B, H, W] (scores [B, H, W, K]) it is the mean over the map's positions.",
  params: z.strictObject({
    /** Positions whose target is this id do not count (0 = padding); -1 counts every position. */
    ignoreIndex: z.int().min(-1).max(1 << 20).default(0),
    ...zLossFields,
  }),
  ports: {
    inputs: [
      { name: 'logits', type: 'tensor', doc: 'scores over the vocabulary, [B, T, V] (or [B, H, W, K] over the code ids of a map)' },
      { name: 'targets', type: 'tokens', doc: 'the next tokens, [B, T] (or the code map [B, H, W])' },
    ],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const logits = input(inputs, 'logits');
    const targets = input(inputs, 'targets');
    // A map of codes [B, H, W] (a PixelCNN prior over a VQ-VAE's codes) counts like a sequence of H · W positions.
    expectRank(logits, 'logits', 3, 4, 'scores [B, T, vocabulary] or [B, H, W, codes]');
    lastDim(logits, 'logits');
    if (!sameShape(targets, logits.slice(0, -1))) throw mismatch('targets', `token ids ${formatShape(logits.slice(0, -1))}, one per position of the logits`, targets);
    return { loss: [] };
  },
  forward: ({ inputs, params, fused }) => {
    const loss = tf.tidy(() => {
      const fusedLoss = fused ? tokenCrossEntropyFused(inputs.logits!, inputs.targets!, params.ignoreIndex, params.weight) : undefined;
      if (fusedLoss) return fusedLoss;
      const logProb = targetLogProb(inputs.logits!, inputs.targets!);
      if (params.ignoreIndex < 0) return tf.mul(tf.neg(tf.mean(logProb)), params.weight);
      const counted = tf.cast(tf.notEqual(tf.cast(inputs.targets!, 'int32'), params.ignoreIndex), 'float32');
      // A batch of padding only gives 0 rather than 0/0.
      const count = tf.maximum(tf.sum(counted), 1);
      return tf.mul(tf.div(tf.neg(tf.sum(tf.mul(logProb, counted))), count), params.weight);
    });
    return { loss };
  },
  torch: { module: ({ params }) => ({ class: 'NextTokenCrossEntropy', args: { ignore_index: params.ignoreIndex, weight: params.weight } }) },
  summary: (p) => `${p.ignoreIndex >= 0 ? `ignore ${p.ignoreIndex} · ` : ''}${p.objective}`,
  tokenIds: { indexes: (_p, inputs) => [{ port: 'targets', limit: inputs.logits!.at(-1) as number, what: `its logits hold ${String(inputs.logits!.at(-1))} scores per position` }] },
});
