import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProgram, openData } from '../../src/cli/setup.ts';
import { CONSTANT_CACHE_MAX_VALUES, ConstantCache, freshConstants } from '../../src/core/nodes/constants.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { countGpuUploads } from '../../src/core/train/backends/gpu-dispatches.ts';
import { streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';

describe('the constant cache', () => {
  beforeAll(async () => {
    await initNodeBackend('cpu');
  });

  it('makes each key once, keeps it through tidy, and frees everything on dispose', () => {
    const before = tf.memory().numTensors;
    const cache = new ConstantCache();
    let made = 0;
    const make = () => {
      made += 1;
      return tf.eye(3);
    };
    const first = tf.tidy(() => {
      const eye = cache.get('eye:3', make);
      return tf.sum(tf.mul(eye, cache.scalar(2)));
    });
    const held = cache.get('eye:3', make);
    expect(made).toBe(1);
    expect(held.isDisposed).toBe(false);
    expect(cache.scalar(2)).toBe(cache.scalar(2));
    expect(cache.scalar(0)).not.toBe(cache.scalar(-0));
    expect(cache.size).toBe(4);
    expect(first.dataSync()[0]).toBe(6);
    first.dispose();
    cache.dispose();
    expect(held.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('makes a disposed constant again, and past its bound makes fresh tensors it does not keep', () => {
    const cache = new ConstantCache();
    const one = cache.get('ones', () => tf.ones([2]));
    one.dispose();
    const again = cache.get('ones', () => tf.ones([2]));
    expect(again).not.toBe(one);
    expect(again.isDisposed).toBe(false);
    // One value over the bound: returned, not held, so the caller's tidy disposes it.
    const before = tf.memory().numTensors;
    const big = tf.tidy(() => tf.sum(cache.get('big', () => tf.zeros([CONSTANT_CACHE_MAX_VALUES])) as tf.Tensor));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(cache.size).toBe(1);
    big.dispose();
    cache.dispose();
  });

  it('without a cache, each request is a new tensor for the caller', () => {
    const a = freshConstants.scalar(3);
    const b = freshConstants.scalar(3);
    expect(a).not.toBe(b);
    tf.dispose([a, b]);
  });
});

describe('uploads of a training step on webgpu', () => {
  afterAll(async () => {
    await initNodeBackend('cpu');
  });

  // Glow's step made 152 uploads (a mask, an identity, a permutation and scalars in every layer, every step).
  it('Glow uploads its masks, tables and scalars once per session, not every step', { timeout: 180_000 }, async () => {
    await initNodeBackend('webgpu');
    const file = 'graph-presets/glow.json';
    const program = await loadProgram(file);
    const session = new TrainingSession(program, streamBatches(await openData(file, program)), 8);
    const step = async () => {
      session.trainStep();
      await session.readLosses();
    };
    const firstStep = await countGpuUploads(step);
    const held = session.constants.size;
    const laterStep = await countGpuUploads(step);
    expect(held).toBeGreaterThan(20);
    expect(session.constants.size).toBe(held);
    // What is left: the batch, the optimizer's per-step numbers, and scalars TF.js's own gradients make.
    expect(laterStep).toBeLessThan(firstStep!);
    expect(laterStep).toBeLessThanOrEqual(50);
    const before = tf.memory().numTensors;
    session.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before - held);
  });
});
