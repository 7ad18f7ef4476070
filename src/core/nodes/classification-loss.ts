import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { formatShape, sameShape } from '../base/shape.ts';
import { expectRank, input, lastDim, mismatch, targetLogProb, zLossFields } from './common.ts';
import { tokenCrossEntropyFused } from './fused.ts';
import { defineNode } from './types.ts';

/** Softmax cross-entropy of one label per example (the digit classifier). */
export const classificationLossNode = defineNode({
  kind: 'ClassificationLoss',
  category: 'objective',
  title: 'Classification loss',
  description: 'Softmax cross-entropy between class scores and the true labels, averaged over the batch (in nats).',
  params: z.strictObject({ ...zLossFields }),
  ports: {
    inputs: [
      { name: 'logits', type: 'tensor', doc: 'class scores, [B, K]' },
      { name: 'labels', type: 'tokens', doc: 'class ids, [B]' },
    ],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const logits = input(inputs, 'logits');
    const labels = input(inputs, 'labels');
    expectRank(logits, 'logits', 2, 2, 'class scores [B, classes]');
    lastDim(logits, 'logits');
    if (!sameShape(labels, logits.slice(0, -1))) throw mismatch('labels', `one class id per example, ${formatShape(logits.slice(0, -1))}`, labels);
    return { loss: [] };
  },
  forward: ({ inputs, params, fused }) => ({
    // Fused: the loss in one kernel, its gradient in two (fused.ts); −1 counts every label.
    loss: (fused ? tokenCrossEntropyFused(inputs.logits!, inputs.labels!, -1, params.weight) : undefined) ?? tf.tidy(() => tf.mul(tf.neg(tf.mean(targetLogProb(inputs.logits!, inputs.labels!))), params.weight)),
  }),
  torch: { module: ({ params }) => ({ class: 'ClassificationLoss', args: { weight: params.weight } }) },
  summary: (p) => p.objective,
  // A label is an index into the scores: one past them has no score to pick.
  tokenIds: { indexes: (_p, inputs) => [{ port: 'labels', limit: inputs.logits!.at(-1) as number, what: `its logits hold ${String(inputs.logits!.at(-1))} class scores` }] },
});
