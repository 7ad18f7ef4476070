/** The sequence kinds' forward passes return their outputs and keep no other tensor. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { inferNode } from '../helpers.ts';

type Inputs = Record<string, { shape: number[]; dtype?: 'float' | 'int' }>;
const CASES: [string, Record<string, unknown>, Inputs][] = [
  ['Embedding', { vocabSize: 5, dim: 3 }, { tokens: { shape: [3], dtype: 'int' } }],
  ['PositionalEncoding', {}, { x: { shape: [3, 4] } }],
  ['PositionalEncoding', { mode: 'sinusoidal' }, { x: { shape: [3, 4] } }],
  ['LayerNorm', {}, { x: { shape: [3, 4] } }],
  ['Softmax', {}, { x: { shape: [3, 4] } }],
  ['Softmax', { axis: 1 }, { x: { shape: [3, 4] } }],
  ['Transpose', {}, { x: { shape: [3, 4] } }],
  ['MatMul', { transposeB: true, scale: 0.5 }, { a: { shape: [2, 3, 4] }, b: { shape: [2, 3, 4] } }],
  ['CausalMask', {}, { scores: { shape: [2, 3, 3] } }],
  ['SplitHeads', { heads: 2 }, { x: { shape: [3, 4] } }],
  ['MergeHeads', {}, { x: { shape: [2, 3, 4] } }],
  ['NextTokenCrossEntropy', {}, { logits: { shape: [3, 4] }, targets: { shape: [3], dtype: 'int' } }],
  ['ClassificationLoss', {}, { logits: { shape: [4] }, labels: { shape: [], dtype: 'int' } }],
];

describe('sequence kinds', () => {
  it.each(CASES)('%s %j keeps no tensors behind', (kind, params, inputs) => {
    const { analysis } = inferNode(kind, params, inputs);
    const variables = createVariables(analysis, 1);
    const feeds: Record<string, Record<string, tf.Tensor>> = {};
    for (const [port, spec] of Object.entries(inputs)) {
      feeds[`in_${port}`] = { x: spec.dtype === 'int' ? tf.zeros([2, ...spec.shape], 'int32') : tf.randomNormal([2, ...spec.shape], 0, 1, 'float32', 1) };
    }
    const fed = Object.values(feeds).map((f) => f.x!);
    const before = tf.memory().numTensors;
    const values = runForward(analysis, { variables, feeds, batchSize: 2, training: true, random: createRandom(1) });
    tf.dispose([...values.values()].filter((t) => !fed.includes(t)));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...fed, ...variables.values()]);
  });
});
