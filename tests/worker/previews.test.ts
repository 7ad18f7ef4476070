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
import { conditionedCount, renderPreviews } from '../../src/worker/previews.ts';
import type { ImagePreview } from '../../src/worker/protocol.ts';
import type { ConditionChoice } from '../../src/core/nodes/sampler-condition.ts';

const sessions: TrainingSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

/** A preset's session, with the params of some nodes changed (a shorter chain) when `params` says. */
/** Tensors alive, less the session's constants (a schedule's table, scalars), which it keeps until disposed. */
const alive = (session: TrainingSession) => tf.memory().numTensors - session.constants.size;

async function open(name: string, params: Record<string, Record<string, unknown>> = {}) {
  await tf.setBackend('cpu');
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error('does not load');
  const nodes = loaded.document.nodes.map((n) => (params[n.id] ? { ...n, params: { ...n.params, ...params[n.id] } } : n));
  const compiled = compile({ ...loaded.document, nodes } as typeof loaded.document);
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
    const before = alive(session);
    const previews = (await renderPreviews({ session, sources, count: 9 }, specs)) as ImagePreview[];
    expect(alive(session)).toBe(before);
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
    const before = alive(session);
    const previews = (await renderPreviews({ session, sources, count: 2 }, specs)) as ImagePreview[];
    expect(alive(session)).toBe(before);
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

  it('conditioned grid: a row per class by default, or the labels chosen, drawn into the grid and its caption', async () => {
    const { session, sources, specs } = await open('cgan');
    const before = alive(session);
    const draw = async (choice?: ConditionChoice) => {
      const conditions = choice ? new Map([['sampler', choice]]) : undefined;
      const [grid] = (await renderPreviews({ session, sources, count: 20, ...(conditions ? { conditions } : {}) }, specs)) as ImagePreview[];
      return grid!;
    };
    // Each class: 20 samples of 10 classes in rows of 2; the tiles (28 px at scale 2, gaps of 2) lie 2 across and 10 down.
    const eachClass = await draw();
    expect(eachClass.condition).toEqual({ sampler: 'sampler', classes: 10, choice: { kind: 'each-class' }, labels: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9] });
    expect([eachClass.width, eachClass.height]).toEqual([2 * 58 + 2, 10 * 58 + 2]);
    expect(eachClass.note).toBe('a row per class');
    const threes = await draw({ kind: 'values', values: [3] });
    expect(threes.condition?.labels).toEqual(Array(20).fill(3));
    expect(threes.note).toBe('all of class 3');
    // The same noise with other labels: other pictures.
    const fours = await draw({ kind: 'values', values: [4] });
    expect(fours.pixels).not.toEqual(threes.pixels);
    const heldOut = await draw({ kind: 'held-out' });
    const batch = sources.get('data')!.validationBatch(0, 20);
    expect(heldOut.condition?.labels).toEqual(Array.from(await batch.y!.data()));
    tf.dispose(Object.values(batch));
    expect(alive(session)).toBe(before);
  }, 60_000);

  it('each class fills whole rows of about equal length, near the number of samples asked for', () => {
    expect(conditionedCount({ kind: 'each-class' }, 10, 36)).toBe(40);
    expect(conditionedCount({ kind: 'each-class' }, 2, 36)).toBe(12);
    expect(conditionedCount({ kind: 'each-class' }, 100, 36)).toBe(36);
    expect(conditionedCount({ kind: 'values', values: [3] }, 10, 36)).toBe(36);
    expect(conditionedCount({ kind: 'held-out' }, 10, 36)).toBe(36);
  });

  it('guided diffusion: the grid and its trajectory with the labels chosen, the strips of different classes', async () => {
    // A 2-step chain: the labels are what is tested, not the denoising.
    const { session, sources, specs } = await open('diffusion-guided', { ddim: { steps: 2 } });
    const before = alive(session);
    const previews = (await renderPreviews({ session, sources, count: 10 }, specs)) as ImagePreview[];
    expect(alive(session)).toBe(before);
    expect(previews.map((p) => p.id)).toEqual(['grid:ddim', 'trajectory:ddim']);
    const [grid, trajectory] = previews;
    expect(grid!.condition).toMatchObject({ classes: 10, nullLabel: 10, labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(trajectory!.note).toMatch(/^rows: class 0, class 3, class 6; 2 denoising steps$/);
    const conditions = new Map<string, ConditionChoice>([['ddim', { kind: 'values', values: [10] }]]);
    const [unconditioned] = (await renderPreviews({ session, sources, count: 10, conditions }, specs)) as ImagePreview[];
    expect(unconditioned!.condition?.labels).toEqual(Array(10).fill(10));
    expect(unconditioned!.note).toMatch(/^all of no class \(null label\); /);
  }, 60_000);
});
