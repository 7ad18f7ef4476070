/**
 * What the wasm backend (TF.js 4.22) does for training without
 * registerWasmTrainingKernels: the kernels that module supplies are missing
 * or give wrong gradients. This file never registers them (kernel
 * registration is global to the process, and vitest runs each file apart).
 */
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmTrainingKernels } from '../../src/core/train/backends/wasm-kernels.ts';
import { wasmBinaryFolder } from '../../src/core/train/backends/wasm.node.ts';
import { Rng } from '../../src/core/base/random.ts';
import { compareWithCpu, makeValues } from './grad-check.ts';
import { convCase, convTransposeCase, depthwiseCase, gatherCase, poolCase } from './grad-cases.ts';

tf.env().set('PROD', true);

beforeAll(async () => {
  setWasmPaths(wasmBinaryFolder());
  expect(await tf.setBackend('wasm')).toBe(true);
  // Guard: this file must see the backend as shipped.
  for (const config of wasmTrainingKernels) expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).not.toBe(config.kernelFunc);
});

describe('the wasm backend as shipped', () => {
  it('has no Conv2DBackpropFilter: conv2d and conv2dTranspose cannot train their filters', async () => {
    const conv = await compareWithCpu(convCase([2, 7, 7, 3], [3, 3], 4, 2, 'same'), 'wasm');
    expect(conv.error).toMatch(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
    const transposed = await compareWithCpu(convTransposeCase([2, 4, 4, 3], 3, 2, [8, 8], 2, 'same'), 'wasm');
    expect(transposed.error).toMatch(/Conv2DBackpropFilter/);
  });

  it('has no UnsortedSegmentSum: gather (Embedding, Permute) has no gradient', async () => {
    const r = await compareWithCpu(gatherCase([10, 4], [2, 5]), 'wasm');
    expect(r.error).toMatch(/Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'/);
  });

  it('has no depthwise convolution gradients', async () => {
    const r = await compareWithCpu(depthwiseCase([2, 6, 5, 3], 3, 2, 1, 'same'), 'wasm');
    expect(r.error).toMatch(/DepthwiseConv2dNativeBackprop(Input|Filter)' not registered/);
  });

  it('has a MaxPoolGrad that puts gradients on the wrong pixels', async () => {
    const worst: Record<string, number> = {};
    for (const c of [
      poolCase('max', [2, 6, 6, 3], 2, 2, 'valid'),
      poolCase('max', [1, 7, 7, 2], 2, 2, 'same'),
      poolCase('max', [2, 7, 5, 3], 3, 2, 'same'),
      poolCase('max', [1, 6, 6, 2], 3, 1, 'same'),
    ]) {
      const r = await compareWithCpu(c, 'wasm');
      expect(r.error).toBeUndefined();
      expect(r.forward).toBe(0);
      worst[c.name] = r.grads[0]!;
    }
    // Relative errors of order one in every case.
    for (const [name, err] of Object.entries(worst)) expect(err, name).toBeGreaterThan(0.1);
  });

  it('has a ResizeNearestNeighborGrad that ignores halfPixelCenters', async () => {
    // The gradient must be the adjoint of the forward map: <x, dx> = <resize(x), dy>.
    const rng = new Rng(5);
    const gap = tf.tidy(() => {
      const x = tf.tensor4d(makeValues({ shape: [2, 3, 5, 2] }, rng), [2, 3, 5, 2]);
      const f = (a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [7, 9], false, true);
      const y = f(x);
      const dy = tf.tensor(makeValues({ shape: y.shape }, rng), y.shape);
      const lhs = tf.sum(tf.mul(x, tf.grad(f)(x, dy))).dataSync()[0]!;
      const rhs = tf.sum(tf.mul(y, dy)).dataSync()[0]!;
      return Math.abs(lhs - rhs) / Math.abs(rhs);
    });
    expect(gap).toBeGreaterThan(0.01);
  });
});
