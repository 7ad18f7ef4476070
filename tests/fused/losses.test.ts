import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { scaledSumFused } from '../../src/core/nodes/fused.ts';
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
