import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { createDeviceRandom, pcgHash } from '../../src/core/train/device-random.ts';
import { streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { loadProgram, openData } from '../../src/cli/setup.ts';

/** Each backend's draws of one key: a uniform, a normal and integers, in order. */
async function drawsOn(backend: NodeBackendName, key: number): Promise<{ uniform: Float32Array; normal: Float32Array; integers: Int32Array }> {
  await initNodeBackend(backend);
  const random = createDeviceRandom(key);
  const [u, n, k] = [random.uniform([3, 1000]), random.normal([20_000]), random.integers([5000], 7)];
  const out = { uniform: (await u.data()) as Float32Array, normal: (await n.data()) as Float32Array, integers: (await k.data()) as Int32Array };
  expect(k.dtype).toBe('int32');
  tf.dispose([u, n, k]);
  return out;
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

describe('random draws on the device (a counter-based generator)', () => {
  let byBackend: Record<NodeBackendName, Awaited<ReturnType<typeof drawsOn>>>;
  beforeAll(async () => {
    byBackend = { cpu: await drawsOn('cpu', 12345), wasm: await drawsOn('wasm', 12345), webgpu: await drawsOn('webgpu', 12345) };
  }, 60_000);

  it('hashes as PCG does (values worked by hand from its definition)', () => {
    // state = 0·747796405 + 2891336453 = 2891336453; word = ((state >> (state >> 28) + 4) ^ state) · 277803737 mod 2^32; (word >> 22) ^ word.
    const state = 2891336453;
    const word = Number((BigInt((Math.floor(state / 2 ** ((state >>> 28) + 4)) ^ state) >>> 0) * 277803737n) % 2n ** 32n);
    expect(pcgHash(0)).toBe(((word >>> 22) ^ word) >>> 0);
    expect(pcgHash(1)).not.toBe(pcgHash(0));
  });

  it('gives the same uniforms and integers on cpu, wasm and webgpu, and normals to float32 rounding', () => {
    for (const backend of ['wasm', 'webgpu'] as const) {
      expect(byBackend[backend].uniform).toEqual(byBackend.cpu.uniform);
      expect(byBackend[backend].integers).toEqual(byBackend.cpu.integers);
      let worst = 0;
      byBackend.cpu.normal.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - byBackend[backend].normal[i]!))));
      expect(worst, backend).toBeLessThan(1e-4);
    }
  });

  it('draws look like their distributions', () => {
    const { uniform, normal, integers } = byBackend.webgpu;
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
    expect(mean(uniform)).toBeCloseTo(0.5, 1);
    // Ten equal bins of 3,000 uniforms: χ² with 9 degrees of freedom stays under 27.9 (p = 0.001).
    const bins = new Array(10).fill(0);
    for (const u of uniform) bins[Math.floor(u * 10)] += 1;
    expect(bins.reduce((chi, count) => chi + (count - 300) ** 2 / 300, 0)).toBeLessThan(27.9);
    const m = mean(normal);
    const variance = mean(Array.from(normal, (x) => (x - m) ** 2));
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    // About 68.3% within one standard deviation.
    expect(Array.from(normal).filter((x) => Math.abs(x) < 1).length / normal.length).toBeCloseTo(0.683, 1);
    expect(new Set(integers)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });

  it('gives another draw for another key or the next call, and the same for the same key', async () => {
    await initNodeBackend('webgpu');
    const values = async (key: number, calls: number) => {
      const random = createDeviceRandom(key);
      let last: tf.Tensor | undefined;
      for (let c = 0; c < calls; c++) {
        last?.dispose();
        last = random.uniform([64]);
      }
      const out = Array.from(await last!.data());
      last!.dispose();
      return out;
    };
    expect(await values(7, 1)).toEqual(await values(7, 1));
    expect(await values(7, 1)).not.toEqual(await values(8, 1));
    expect(await values(7, 2)).not.toEqual(await values(7, 1));
  });

  it('is one GPU dispatch with no input on webgpu', async () => {
    await initNodeBackend('webgpu');
    const random = createDeviceRandom(3);
    random.normal([4]).dispose();
    expect(await countGpuDispatches(async () => {
      const draw = random.normal([256, 28, 28, 1]);
      await draw.data();
      draw.dispose();
    })).toBe(1);
  });
});

describe('a training step’s draws', () => {
  /** The kernels of the diffusion-2d preset's third step (noise and diffusion steps drawn), by name. */
  async function stepKernels(backend: NodeBackendName): Promise<string[]> {
    await initNodeBackend(backend);
    const program = await loadProgram('graph-presets/diffusion-2d.json');
    const session = new TrainingSession(program, streamBatches(await openData('graph-presets/diffusion-2d.json', program)), 16);
    session.trainStep();
    session.trainStep();
    const { kernels } = await tf.profile(() => session.trainStep());
    await session.readLosses();
    session.dispose();
    return kernels.map((k) => k.name);
  }

  it('are made on the GPU on webgpu, and by Rng in JavaScript on wasm', { timeout: 120_000 }, async () => {
    // Diffuse draws the noise and the diffusion steps: two draws a step.
    expect((await stepKernels('webgpu')).filter((name) => name === 'GcRandomDraw').length).toBe(2);
    expect(await stepKernels('wasm')).not.toContain('GcRandomDraw');
  });
});
