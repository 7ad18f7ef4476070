/** Previews drawn over untrained sessions on the cpu backend: what each family's panel shows. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { previewPlan } from '../../src/worker/preview-plan.ts';
import { renderPreviews } from '../../src/worker/previews.ts';
import type { ImagePreview } from '../../src/worker/protocol.ts';

const sessions: TrainingSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

async function open(name: string) {
  await tf.setBackend('cpu');
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error('does not load');
  const compiled = compile(loaded.document);
  if (!compiled.ok) throw new Error('does not compile');
  const sources = await openProgramData(compiled.program, readPublicAsset);
  const session = new TrainingSession(compiled.program, streamBatches(sources), 8);
  sessions.push(session);
  return { session, sources, specs: previewPlan(compiled.program) };
}

describe('previews', () => {
  it('decodes given latents with the prior sampler (the interpolation path)', async () => {
    const { session } = await open('vae');
    const latent = tf.zeros([5, 20]);
    const result = await runSampler(session, session.program.samplers[0]!, { latent });
    expect(result.kind === 'tensor' && result.tensor.shape).toEqual([5, 784]);
    if (result.kind === 'tensor') result.tensor.dispose();
    expect(latent.isDisposed).toBe(false);
    latent.dispose();
  });

  it('VAE: a grid of previewCount digits and an interpolation of 4 lines of 8', async () => {
    const { session, sources, specs } = await open('vae');
    const before = tf.memory().numTensors;
    const previews = (await renderPreviews({ session, sources, count: 9 }, specs)) as ImagePreview[];
    expect(tf.memory().numTensors).toBe(before);
    const [grid, line] = previews;
    expect(grid!.id).toBe('grid:sampler');
    // 3 x 3 tiles of 28 px scaled by 2, gaps of 2.
    expect([grid!.width, grid!.height]).toEqual([3 * 58 + 2, 3 * 58 + 2]);
    expect(line!.id).toBe('interpolation:sampler');
    expect([line!.width, line!.height]).toEqual([8 * 58 + 2, 4 * 58 + 2]);
    // The same fixed noise every time: previews of the same weights are identical.
    const again = (await renderPreviews({ session, sources, count: 9 }, specs)) as ImagePreview[];
    expect(again[0]!.pixels).toEqual(grid!.pixels);
  });

  it('Diffusion: DDPM and DDIM grids with their trajectories from noise to sample', async () => {
    const { session, sources, specs } = await open('diffusion');
    const before = tf.memory().numTensors;
    const previews = (await renderPreviews({ session, sources, count: 2 }, specs)) as ImagePreview[];
    expect(tf.memory().numTensors).toBe(before);
    expect(previews.map((p) => p.id)).toEqual(['grid:ddpm', 'trajectory:ddpm', 'grid:ddim', 'trajectory:ddim']);
    expect(previews[0]!.note).toMatch(/^DDPM preview on a 50-step strided chain/);
    // Two samples, eight snapshots each, 28 px at scale 2.
    expect([previews[1]!.width, previews[1]!.height]).toEqual([8 * 58 + 2, 2 * 58 + 2]);
  }, 120_000);

  it('Transformer: text samples at the temperature asked for', async () => {
    const { session, sources, specs } = await open('transformer');
    const [text] = await renderPreviews({ session, sources, count: 4, temperature: 0.5 }, specs);
    expect(text).toMatchObject({ kind: 'text', id: 'text:sampler', temperature: 0.5 });
    if (text?.kind === 'text') {
      expect(text.texts).toHaveLength(12);
      expect(text.texts.every((t) => typeof t === 'string')).toBe(true);
    }
  }, 60_000);
});
