/**
 * Shared by the per-backend preset tests: each preset trains 20 steps on real
 * data; its objectives must go down and its samplers return finite samples.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';

export const PRESETS = ['vae', 'gan', 'transformer', 'flow', 'diffusion'] as const;
const STEPS = 20;

/**
 * Objectives expected to fall within 20 steps. A GAN's generator loss rises
 * while its discriminator learns, so only D is held to it.
 */
const MUST_FALL: Record<string, string[]> = { vae: ['elbo'], gan: ['D'], transformer: ['main'], flow: ['main'], diffusion: ['main'] };

export async function trainPresetBriefly(name: (typeof PRESETS)[number], batchSize: number) {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  const compiled = compile(loaded.document);
  if (!compiled.ok) throw new Error(`${name} does not compile`);
  const program = compiled.program;
  const sources = await openProgramData(program, readPublicAsset);
  const session = new TrainingSession(program, streamBatches(sources), batchSize);
  const history: Record<string, number[]> = {};
  for (let i = 0; i < STEPS; i++) {
    session.trainStep();
    for (const [id, { total }] of Object.entries((await session.readLosses()).objectives)) (history[id] ??= []).push(total);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const id of MUST_FALL[name]!) {
    const values = history[id]!;
    expect(values.every(Number.isFinite), `${name} ${id}: ${values.join(', ')}`).toBe(true);
    const third = Math.floor(values.length / 3);
    expect(mean(values.slice(-third)), `${name} ${id} should fall: ${values.map((v) => v.toFixed(3)).join(', ')}`).toBeLessThan(mean(values.slice(0, third)));
  }
  // DDPM's 1,000-step loop is left to the sampling tests; DDIM covers the denoiser here.
  for (const plan of program.samplers.filter((p) => p.kind !== 'ddpm')) {
    const result = await runSampler(session, plan, { count: 3 });
    if (result.kind === 'tokens') {
      expect(result.tokens).toHaveLength(3);
      continue;
    }
    const values = Array.from(await result.tensor.data());
    expect(result.tensor.shape[0]).toBe(3);
    expect(values.every(Number.isFinite)).toBe(true);
    result.tensor.dispose();
  }
  session.dispose();
  return history;
}

export function backendIs(name: string) {
  expect(tf.getBackend()).toBe(name);
}
