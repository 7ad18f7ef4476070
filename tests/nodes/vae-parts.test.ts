/** Reparameterize and ReconstructionLoss against hand-computed values. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { RandomSource } from '../../src/core/nodes/types.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

/** Always draws the same eps, so the sample can be computed by hand. */
const fixedEps = (eps: number[]): RandomSource => ({ ...createRandom(0), normal: (shape) => tf.tensor(eps, [...shape]) });

describe('Reparameterize', () => {
  it('z = mu + exp(logvar / 2) · eps', async () => {
    const mu = { shape: [1, 2], values: [1, -1] };
    const logvar = { shape: [1, 2], values: [0, Math.log(4)] };
    // exp(0/2) = 1, exp(ln 4 / 2) = 2: z = [1 + 1·0.5, -1 + 2·(-1)] = [1.5, -3]
    const run = await runNode('Reparameterize', {}, { mu, logvar }, {}, { random: fixedEps([0.5, -1]) });
    expectClose(run.outputs.z!.values, [1.5, -3]);
  });

  it('expands into primitives and checks that mu and logvar agree', () => {
    const ok = inferNode('Reparameterize', {}, { mu: { shape: [3] }, logvar: { shape: [3] } });
    expect(ok.analysis.ops.filter((op) => op.id.startsWith('n/')).map((op) => op.kind).sort()).toEqual(['Activation', 'Add', 'Multiply', 'Noise', 'ScaleShift']);
    expect(inferNode('Reparameterize', {}, { mu: { shape: [3] }, logvar: { shape: [2] } }).codes).toEqual(['GC106@n.logvar']);
  });
});

describe('ReconstructionLoss', () => {
  const prediction = { shape: [2, 2], values: [0, 2, -1, 0.5] };
  const target = { shape: [2, 2], values: [1, 0, 0, 1] };
  const bce = (logit: number, t: number) => Math.max(logit, 0) - logit * t + Math.log(1 + Math.exp(-Math.abs(logit)));

  it('BCE from logits, summed per example and averaged over the batch', async () => {
    const perExample = [bce(0, 1) + bce(2, 0), bce(-1, 0) + bce(0.5, 1)];
    const run = await runNode('ReconstructionLoss', {}, { prediction, target });
    expect(run.outputs.loss!.shape).toEqual([]);
    expectClose(run.outputs.loss!.values, [(perExample[0]! + perExample[1]!) / 2]);
  });

  it('BCE from probabilities, MSE with mean reduction, and the weight', async () => {
    const probs = { shape: [1, 2], values: [0.9, 0.2] };
    const t = { shape: [1, 2], values: [1, 0] };
    const fromProbs = await runNode('ReconstructionLoss', { fromLogits: false }, { prediction: probs, target: t });
    expectClose(fromProbs.outputs.loss!.values, [-Math.log(0.9) - Math.log(0.8)]);
    const mse = await runNode('ReconstructionLoss', { loss: 'mse', reduction: 'mean', weight: 2 }, { prediction, target });
    // squared errors 1, 4, 1, 0.25; mean 1.5625; weight 2
    expectClose(mse.outputs.loss!.values, [3.125]);
  });

  it('requires the prediction and target shapes to agree', () => {
    expect(inferNode('ReconstructionLoss', {}, { prediction: { shape: [4] }, target: { shape: [5] } }).codes).toEqual(['GC106@n.target']);
  });
});
