import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { activateFused } from '../../src/core/nodes/activation.ts';
import { ACTIVATIONS, activate } from '../../src/core/nodes/common.ts';
import { denseFused } from '../../src/core/nodes/dense.ts';
import { Rng } from '../../src/core/base/random.ts';
import { expectSameAsUnfused, randomTensor } from './fused-check.ts';

/** The unfused Dense: a product, a bias and the activation as separate TF.js ops. */
function denseUnfused(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined, fn: (typeof ACTIVATIONS)[number], transposeB: boolean): tf.Tensor {
  const z = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D, false, transposeB);
  return activate(bias ? tf.add(z, bias) : z, fn);
}

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused activations and Dense on %s', (backend) => {
  it('each activation, as one kernel, gives the unfused ops’ values and gradient', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    for (const [i, fn] of ACTIVATIONS.entries()) {
      // Wide enough to reach the flat tails of tanh, sigmoid and softplus; 3,000 elements span several workgroups.
      const x = randomTensor(new Rng(30 + i), [3, 1000], fn === 'exp' ? 3 : 8);
      await expectSameAsUnfused(fn, (a) => activateFused(a!, fn), (a) => activate(a!, fn), [x], i, 1e-4);
      x.dispose();
    }
  });

  it('Dense (product, bias, activation) gives the unfused ops’ values and the gradients of x, the kernel and the bias', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    let seed = 0;
    for (const fn of ACTIVATIONS) {
      for (const [useBias, transposeB] of [
        [true, false],
        [false, false],
        [true, true],
      ] as const) {
        seed += 1;
        const rng = new Rng(50 + seed);
        const x = randomTensor(rng, [37, 24]);
        const kernel = randomTensor(rng, transposeB ? [70, 24] : [24, 70], 0.4);
        const bias = randomTensor(rng, [70], 0.5);
        const inputs = useBias ? [x, kernel, bias] : [x, kernel];
        await expectSameAsUnfused(
          `${fn}${useBias ? ' with bias' : ''}${transposeB ? ', kernel transposed' : ''}`,
          (a, w, b) => denseFused(a as tf.Tensor2D, w as tf.Tensor2D, b, fn, transposeB),
          (a, w, b) => denseUnfused(a!, w!, b, fn, transposeB),
          inputs,
          seed,
          2e-4,
        );
        tf.dispose([x, kernel, bias]);
      }
    }
  });

  if (backend === 'webgpu') {
    it('a relu Dense takes one dispatch forward, four backward', async () => {
      await initNodeBackend('webgpu');
      const rng = new Rng(3);
      const x = randomTensor(rng, [128, 64]);
      const kernel = randomTensor(rng, [64, 96]);
      const bias = randomTensor(rng, [96]);
      const forward = await countGpuDispatches(async () => {
        const y = denseFused(x as tf.Tensor2D, kernel as tf.Tensor2D, bias, 'relu', false);
        await y.data();
        y.dispose();
      });
      expect(forward).toBe(1);
      const withBackward = await countGpuDispatches(async () => {
        const grads = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(denseFused(a as tf.Tensor2D, w as tf.Tensor2D, b, 'relu', false)))([x, kernel, bias]);
        await Promise.all(grads.map((g) => g.data()));
        tf.dispose(grads);
      });
      // The sum and its gradient's fill: 2; the Dense: 1 forward; dy·relu', two products, the bias's column sum: 4.
      expect(withBackward).toBeLessThanOrEqual(2 + 1 + 4);
      tf.dispose([x, kernel, bias]);
    });
  }
});
