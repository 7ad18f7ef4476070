import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { layerNormFused, layerNormUnfused } from '../../src/core/nodes/layer-norm.ts';
import { Rng } from '../../src/core/base/random.ts';
import { expectSameAsUnfused, randomTensor } from './fused-check.ts';

// Features below, at and above a WebGPU workgroup (64), rank 2 to 4, and more rows than one dispatch dimension holds.
const SHAPES: number[][] = [[5, 7], [2, 3, 64], [3, 2, 130], [2, 2, 3, 16], [66_000, 3]];

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused layer norm on %s', (backend) => {
  it('gives the unfused ops’ output and gradients (x, gamma, beta)', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    for (const [i, shape] of SHAPES.entries()) {
      const rng = new Rng(100 + i);
      const features = shape.at(-1)!;
      // An offset and a spread unlike 0 and 1, so that the statistics matter.
      const x = randomTensor(rng, shape, 3, 1.5);
      const gamma = randomTensor(rng, [features], 1, 1);
      const beta = randomTensor(rng, [features]);
      await expectSameAsUnfused(
        `[${shape.join(', ')}]`,
        (a, g, b) => layerNormFused(a!, g!, b!, 1e-5),
        (a, g, b) => layerNormUnfused(a!, g!, b!, 1e-5),
        [x, gamma, beta],
        i,
        // Sums over 66,000 rows in float32 (dgamma, dbeta) differ by the order of addition.
        shape[0]! > 10_000 ? 2e-4 : 2e-5,
      );
      tf.dispose([x, gamma, beta]);
    }
  });

  if (backend === 'webgpu') {
    it('runs in one dispatch forward and four backward, against the unfused chain’s many', async () => {
      await initNodeBackend('webgpu');
      const rng = new Rng(7);
      const x = randomTensor(rng, [64, 32, 64]);
      const gamma = randomTensor(rng, [64], 1, 1);
      const beta = randomTensor(rng, [64]);
      const count = async (f: typeof layerNormFused) => {
        const forward = await countGpuDispatches(async () => {
          const y = f(x, gamma, beta, 1e-5);
          await y.data();
          y.dispose();
        });
        const both = await countGpuDispatches(async () => {
          const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(f(a, g, b, 1e-5)))([x, gamma, beta]);
          await Promise.all(grads.map((g) => g.data()));
          tf.dispose(grads);
        });
        return { forward: forward!, both: both! };
      };
      const fused = await count(layerNormFused);
      const unfused = await count(layerNormUnfused);
      // The summed loss adds its own dispatches to both: one Sum forward, its backward fill.
      const extra = (await countGpuDispatches(async () => void (await tf.sum(x).data())))!;
      expect(fused.forward).toBe(1);
      expect(fused.both - fused.forward - extra).toBeLessThanOrEqual(4 + 2);
      expect(unfused.forward).toBeGreaterThanOrEqual(8);
      expect(unfused.both).toBeGreaterThan(3 * fused.both);
      tf.dispose([x, gamma, beta]);
    });
  }
});
