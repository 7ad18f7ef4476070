import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { scaledSumFused, tokenCrossEntropyFused } from '../../src/core/nodes/fused.ts';
import { targetLogProb } from '../../src/core/nodes/common.ts';
import { stopGradient } from '../../src/core/nodes/stop-gradient.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { BCE_FROM_LOGITS, SQUARED_ERROR } from '../../src/core/nodes/reconstruction-loss.ts';
import { GAUSSIAN_KL } from '../../src/core/nodes/kl-divergence.ts';
import { Rng } from '../../src/core/base/random.ts';
import { expectSameAsUnfused, randomTensor } from './fused-check.ts';

// The element-wise terms as the unfused losses write them in TF.js ops.
const UNFUSED = {
  bce_logits: (p: tf.Tensor, t: tf.Tensor) => tf.add(tf.sub(tf.relu(p), tf.mul(p, t)), tf.log1p(tf.exp(tf.neg(tf.abs(p))))),
  squared_error: (p: tf.Tensor, t: tf.Tensor) => tf.squaredDifference(p, t),
  gaussian_kl: (mu: tf.Tensor, logvar: tf.Tensor) => tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))),
};

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused losses (scale · the sum of an element-wise term) on %s', (backend) => {
  it('give the unfused ops’ loss and both inputs’ gradients', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    let seed = 0;
    for (const term of [BCE_FROM_LOGITS, SQUARED_ERROR, GAUSSIAN_KL]) {
      for (const shape of [[5, 7], [3, 4, 4, 2], [2, 1000]]) {
        seed += 1;
        const rng = new Rng(90 + seed);
        const a = randomTensor(rng, shape, 4);
        // Targets in [0, 1] for the cross-entropy; log-variances in [−2, 2] for the KL.
        const b = term === BCE_FROM_LOGITS ? randomTensor(rng, shape, 0.5, 0.5) : randomTensor(rng, shape, 2);
        const unfused = UNFUSED[term.name as keyof typeof UNFUSED];
        const scale = 0.7 / shape[0]!;
        await expectSameAsUnfused(`${term.name} [${shape.join(', ')}]`, (x, y) => scaledSumFused(term, x!, y!, scale)!, (x, y) => tf.mul(tf.sum(unfused(x!, y!)), scale), [a, b], seed, 1e-4);
        tf.dispose([a, b]);
      }
    }
  });
});

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('a fused sum whose gradients each input scales apart on %s', (backend) => {
  it("gives the vector quantizer's codebook + β · commitment loss and its gradients (each term trains one input)", { timeout: 60_000 }, async () => {
    await initNodeBackend(backend);
    const rng = new Rng(77);
    const [x, e] = [randomTensor(rng, [8, 4, 4, 6], 2), randomTensor(rng, [8, 4, 4, 6], 2)];
    const beta = 0.25;
    const scale = 0.9 / 8;
    await expectSameAsUnfused(
      'codebook + commitment',
      (a, b) => scaledSumFused(SQUARED_ERROR, a!, b!, (1 + beta) * scale, { a: beta * scale, b: scale })!,
      (a, b) => tf.mul(tf.add(tf.sum(tf.squaredDifference(stopGradient(a!), b!)), tf.mul(beta, tf.sum(tf.squaredDifference(a!, stopGradient(b!))))), scale),
      [x, e],
      5,
      1e-4,
    );
    tf.dispose([x, e]);
  });
});

/** The unfused cross-entropy as the loss nodes write it: weight · mean of −log p(target) over the positions that count. */
function unfusedTokenCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, ignore: number, weight: number): tf.Tensor {
  const logProb = targetLogProb(logits, targets);
  if (ignore < 0) return tf.mul(tf.neg(tf.mean(logProb)), weight);
  const counted = tf.cast(tf.notEqual(targets, ignore), 'float32');
  return tf.mul(tf.div(tf.neg(tf.sum(tf.mul(logProb, counted))), tf.maximum(tf.sum(counted), 1)), weight);
}

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused token cross-entropy on %s', (backend) => {
  it('gives the unfused loss and gradient, with positions left out, and none counted', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    const cases: { shape: number[]; ignore: number; what: string }[] = [
      { shape: [5, 7], ignore: -1, what: 'a classifier, every label counts' },
      { shape: [3, 6, 11], ignore: 0, what: 'sequences with padding' },
      { shape: [64, 16, 28], ignore: 0, what: "the Transformer preset's batch" },
      { shape: [2, 3, 3, 5], ignore: 2, what: 'a map of codes' },
      { shape: [4, 3], ignore: 1, what: 'no position counts' },
    ];
    for (const [n, { shape, ignore, what }] of cases.entries()) {
      const rng = new Rng(300 + n);
      const logits = randomTensor(rng, shape, 5);
      const classes = shape.at(-1)!;
      const ids = Int32Array.from({ length: logits.size / classes }, () => (what === 'no position counts' ? ignore : Math.floor(rng.uniform() * classes)));
      const targets = tf.tensor(ids, shape.slice(0, -1), 'int32');
      await expectSameAsUnfused(
        what,
        (x) => tokenCrossEntropyFused(x!, targets, ignore, 0.8)!,
        (x) => unfusedTokenCrossEntropy(x!, targets, ignore, 0.8),
        [logits],
        n,
        1e-5,
      );
      tf.dispose([logits, targets]);
    }
  });

  it.runIf(backend === 'webgpu')('takes one GPU dispatch forward and two backward', async () => {
    await initNodeBackend('webgpu');
    const logits = tf.randomNormal([64, 16, 28]);
    const targets = tf.zeros([64, 16], 'int32');
    tokenCrossEntropyFused(logits, targets, 0, 1)!.dispose();
    tf.grad((x: tf.Tensor) => tokenCrossEntropyFused(x, targets, 0, 1)!)(logits).dispose();
    expect(await countGpuDispatches(async () => (await tokenCrossEntropyFused(logits, targets, 0, 1)!.data(), undefined))).toBe(1);
    expect(await countGpuDispatches(async () => {
      const g = tf.grad((x: tf.Tensor) => tokenCrossEntropyFused(x, targets, 0, 1)!)(logits);
      await g.data();
      g.dispose();
    })).toBe(3);
    tf.dispose([logits, targets]);
  });
});
