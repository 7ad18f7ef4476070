/**
 * Choosing the TF.js backend in Node. WebGPU here runs on Dawn for Node
 * (npm package `webgpu`) over Mesa's OpenGL, so the machine needs the Mesa
 * EGL/GL packages (CI installs them). The backend is global in TF.js: every
 * test sets the one it needs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { createOptimizer, sumAll } from '../../src/core/train/optimizers.ts';
import { zOptimizer } from '../../src/core/graph/schema.ts';
import { Rng } from '../../src/core/base/random.ts';

function values(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}

/** Losses of a few SGD steps of one Dense layer (8 -> 4, tanh) under MSE, on the given backend. */
async function trainDense(backend: NodeBackendName, steps: number): Promise<number[]> {
  const info = await initNodeBackend(backend);
  expect(info.name).toBe(backend);
  expect(tf.getBackend()).toBe(backend);
  const kernel = tf.variable(tf.mul(tf.tensor2d(values(1, 32), [8, 4]), 0.3));
  const bias = tf.variable(tf.zeros([4]));
  const x = tf.tensor2d(values(2, 16 * 8), [16, 8]);
  const target = tf.mul(tf.tensor2d(values(3, 16 * 4), [16, 4]), 0.5);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, tf.tanh(tf.add(tf.matMul(x, kernel), bias))) as tf.Scalar, [
        kernel,
        bias,
      ]);
      kernel.assign(tf.sub(kernel, tf.mul(grads[kernel.name]!, 0.5)));
      bias.assign(tf.sub(bias, tf.mul(grads[bias.name]!, 0.5)));
      return value;
    });
    // `await data()`: synchronous reads throw on webgpu in Node.
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  tf.dispose([kernel, bias, x, target]);
  return losses;
}

describe('initNodeBackend', () => {
  it('starts cpu and says so', async () => {
    await expect(initNodeBackend('cpu')).resolves.toEqual({ name: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(await tf.add(tf.tensor1d([1, 2]), 1).data()).toEqual(new Float32Array([2, 3]));
  });

  it('starts wasm and says so', async () => {
    await expect(initNodeBackend('wasm')).resolves.toEqual({ name: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    expect(await tf.matMul(tf.tensor2d([1, 2], [1, 2]), tf.tensor2d([3, 4], [2, 1])).data()).toEqual(new Float32Array([11]));
  });

  it('starts webgpu (Mesa OpenGL where there is no GPU) and names the adapter', async () => {
    const info = await initNodeBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toMatch(/\S/);
    expect(['vulkan', 'opengl']).toContain(info.api);
    expect(tf.getBackend()).toBe('webgpu');
    const a = values(4, 24 * 16);
    const b = values(5, 16 * 8);
    const onGpu = await tf.matMul(tf.tensor2d(a, [24, 16]), tf.tensor2d(b, [16, 8])).data();
    await initNodeBackend('cpu');
    const onCpu = await tf.matMul(tf.tensor2d(a, [24, 16]), tf.tensor2d(b, [16, 8])).data();
    for (let i = 0; i < onCpu.length; i++) expect(onGpu[i]).toBeCloseTo(onCpu[i]!, 4);
  });

  it('trains a Dense layer to the same losses on webgpu and cpu, and the loss falls', async () => {
    const gpu = await trainDense('webgpu', 4);
    const cpu = await trainDense('cpu', 4);
    for (let i = 0; i < cpu.length; i++) expect(Math.abs(gpu[i]! - cpu[i]!)).toBeLessThan(1e-4);
    expect(cpu[3]!).toBeLessThan(cpu[0]!);
    expect(gpu[3]!).toBeLessThan(gpu[0]!);
  });

  it('clips the gradient norm over many variables the same on webgpu as on cpu', async () => {
    // One AddN over all gradients would bind more storage buffers than WebGPU's compatibility mode allows.
    const update = async (backend: NodeBackendName) => {
      await initNodeBackend(backend);
      const keys = Array.from({ length: 20 }, (_, i) => `v${i}`);
      const variables = new Map(keys.map((key, i) => [key, tf.variable(tf.tensor1d(values(10 + i, 3)))]));
      const optimizer = createOptimizer(zOptimizer.parse({ type: 'sgd', learningRate: 0.5, clipNorm: 0.1 }), variables, keys);
      const grads = Object.fromEntries(keys.map((key, i) => [key, tf.tensor1d(values(40 + i, 3))]));
      optimizer.apply(grads);
      const after = await Promise.all(keys.map(async (key) => Array.from(await variables.get(key)!.data())));
      const total = await sumAll(keys.map((key) => grads[key]!)).data();
      tf.dispose([...Object.values(grads), ...variables.values()]);
      optimizer.dispose();
      return { after: after.flat(), total: Array.from(total) };
    };
    const gpu = await update('webgpu');
    const cpu = await update('cpu');
    for (let i = 0; i < cpu.after.length; i++) expect(Math.abs(gpu.after[i]! - cpu.after[i]!)).toBeLessThan(1e-5);
    for (let i = 0; i < cpu.total.length; i++) expect(gpu.total[i]).toBeCloseTo(cpu.total[i]!, 5);
  });

  it('counts the compute dispatches the GPU sees, which are not the kernels tf.profile lists', async () => {
    await initNodeBackend('webgpu');
    // Large enough that the backend runs them on the GPU rather than on a CPU copy.
    const a = tf.tensor2d(values(6, 64 * 64), [64, 64]);
    const b = tf.tensor2d(values(7, 64 * 64), [64, 64]);
    await Promise.all([a.data(), b.data()]);
    let kernels = 0;
    const dispatches = await countGpuDispatches(async () => {
      const profile = await tf.profile(async () => {
        // Two programs (a sum, a product); the reshape moves no data and dispatches nothing.
        const out = tf.reshape(tf.matMul(tf.add(a, b), b), [4096]);
        await out.data();
        out.dispose();
      });
      kernels = profile.kernels.length;
    });
    expect(kernels).toBe(3);
    expect(dispatches).toBe(2);
    tf.dispose([a, b]);
    await initNodeBackend('cpu');
    await expect(countGpuDispatches(async () => void tf.add(tf.ones([2]), 1).dispose())).resolves.toBeUndefined();
  });

  it("'auto' takes a hardware GPU, else the fastest CPU path, and says why", async () => {
    const info = await initNodeBackend('auto');
    expect(tf.getBackend()).toBe(info.name);
    if (info.name === 'webgpu') expect(info.software).toBe(false);
    else {
      // wasm beats WebGPU on a software rasterizer; the reason names what was missing.
      expect(info.name).toBe('wasm');
      expect(info.fallbackReason).toMatch(/webgpu: /);
    }
  });

  it('turns down an unknown backend with a plain message', async () => {
    await expect(initNodeBackend('tpu' as never)).rejects.toThrow(BackendUnavailableError);
    await expect(initNodeBackend('tpu' as never)).rejects.toThrow(/unknown backend "tpu"/);
  });
});
