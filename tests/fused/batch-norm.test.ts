import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { batchNormFused, batchNormUnfused } from '../../src/core/nodes/batch-norm.ts';
import { Rng } from '../../src/core/base/random.ts';
import { expectSameAsUnfused, randomTensor } from './fused-check.ts';

// Vectors and images (channels last), channels below and above a workgroup (64), and more channels than rows.
const SHAPES: number[][] = [[5, 7], [16, 130], [4, 6, 6, 3], [2, 8, 8, 64], [3, 200]];

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused batch norm on %s', (backend) => {
  it('gives the unfused ops’ output and gradients (x, gamma, beta)', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    for (const [i, shape] of SHAPES.entries()) {
      const rng = new Rng(200 + i);
      const channels = shape.at(-1)!;
      // An offset and a spread unlike 0 and 1, so that the statistics matter.
      const x = randomTensor(rng, shape, 3, 1.5);
      const gamma = randomTensor(rng, [channels], 1, 1);
      const beta = randomTensor(rng, [channels]);
      await expectSameAsUnfused(
        `[${shape.join(', ')}]`,
        (a, g, b) => batchNormFused(a!, g!, b!, 1e-3)!,
        (a, g, b) => batchNormUnfused(a!, g!, b!, 1e-3),
        [x, gamma, beta],
        i,
        5e-5,
      );
      tf.dispose([x, gamma, beta]);
    }
  });

  it.runIf(backend === 'webgpu')('runs in two dispatches forward and three backward, against the unfused chain’s many', async () => {
    await initNodeBackend('webgpu');
    const rng = new Rng(8);
    const x = randomTensor(rng, [64, 16, 16, 32]);
    const gamma = randomTensor(rng, [32], 1, 1);
    const beta = randomTensor(rng, [32]);
    const count = async (f: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, e: number) => tf.Tensor) => {
      const forward = await countGpuDispatches(async () => {
        const y = f(x, gamma, beta, 1e-3);
        await y.data();
        y.dispose();
      });
      const both = await countGpuDispatches(async () => {
        const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(f(a, g, b, 1e-3)))([x, gamma, beta]);
        await Promise.all(grads.map((g) => g.data()));
        tf.dispose(grads);
      });
      return { forward: forward!, both: both! };
    };
    const fused = await count((a, g, b, e) => batchNormFused(a, g, b, e)!);
    const unfused = await count(batchNormUnfused);
    // The summed loss adds its own dispatches to both: one Sum forward, its backward fill.
    const extra = (await countGpuDispatches(async () => void (await tf.sum(x).data())))!;
    expect(fused.forward).toBe(2);
    expect(fused.both - fused.forward - extra).toBeLessThanOrEqual(3 + 2);
    expect(unfused.both).toBeGreaterThan(2 * fused.both);
    console.log(`[batch norm] GPU dispatches forward ${fused.forward} vs ${unfused.forward}, forward and backward ${fused.both} vs ${unfused.both}`);
    tf.dispose([x, gamma, beta]);
  });
});
