/**
 * The worker's runner in Node on the cpu backend: the same code the browser
 * worker runs, with a map for IndexedDB and a fake GPU device to lose.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import type { Checkpoint } from '../../src/core/train/checkpoint.ts';
import { checkpointKeys, type CheckpointInfo, type CheckpointStore } from '../../src/storage/checkpoints.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { BrowserBackend, TrainingSettingsInput, WorkerEvent } from '../../src/worker/protocol.ts';
import { trainingSettings } from '../../src/worker/protocol.ts';
import { TrainingRunner, type RunnerEnvironment } from '../../src/worker/runner.ts';

const preset = (name: string) => readFileSync(`graph-presets/${name}.json`, 'utf8');

function memoryStore(): CheckpointStore & { records: Map<string, { checkpoint: Checkpoint; info: CheckpointInfo }> } {
  const records = new Map<string, { checkpoint: Checkpoint; info: CheckpointInfo }>();
  return {
    records,
    info: async (key) => records.get(key)?.info,
    load: async (key) => records.get(key)?.checkpoint,
    save: async (key, checkpoint, info) => void records.set(key, { checkpoint: { manifest: checkpoint.manifest, weights: checkpoint.weights.slice(0) }, info }),
    remove: async (key) => void records.delete(key),
  };
}

function harness(overrides: Partial<RunnerEnvironment> = {}) {
  const events: WorkerEvent[] = [];
  const store = memoryStore();
  const started: BrowserBackend[] = [];
  const runner = new TrainingRunner({
    post: (event) => events.push(event),
    startBackend: async (name) => {
      started.push(name);
      if (name === 'webgpu') throw new Error('no adapter in this test');
      await tf.setBackend('cpu');
      return {};
    },
    readAsset: readPublicAsset,
    store,
    ...overrides,
  });
  const of = <T extends WorkerEvent['type']>(type: T) => events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
  return { runner, events, store, started, of, statuses: () => of('state').map((e) => e.state.status) };
}

const settings = (input: Partial<TrainingSettingsInput>) => trainingSettings({ totalSteps: 12, batchSize: 32, logEvery: 4, checkpointEvery: 8, evalEvery: 8, evalExamples: 64, previewSeconds: 0, previewCount: 4, ...input });

describe('the training runner', () => {
  it('trains the flow preset: backend, states, losses, eval, a scatter preview, checkpoints', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({}), resume: false });
    expect(h.started).toEqual(['webgpu', 'webgl']);
    expect(h.of('backend')[0]).toMatchObject({ backend: 'webgl', fallbackReason: 'webgpu: no adapter in this test' });
    expect(h.statuses()).toEqual(['running', 'done']);
    expect(h.of('losses').map((e) => e.step)).toEqual([4, 8, 12]);
    expect(Number.isFinite(h.of('losses')[0]!.objectives.main!.total)).toBe(true);
    expect(h.of('checkpoint').map((e) => e.step)).toEqual([8, 12]);
    expect(h.of('eval').map((e) => e.step)).toEqual([8, 12]);
    const scatter = h.of('previews').at(-1)!.previews.find((p) => p.id === 'scatter:sampler');
    expect(scatter?.kind).toBe('image');
    if (scatter?.kind === 'image') {
      expect(scatter.pixels.length).toBe(scatter.width * scatter.height * 4);
      expect(new Set(scatter.pixels).size).toBeGreaterThan(2);
    }
    expect([...h.store.records.values()][0]!.info.step).toBe(12);
    h.runner.dispose();
  });

  it('resumes from the stored checkpoint', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 8 }), resume: false });
    h.events.length = 0;
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 16 }), resume: true });
    expect(h.of('state')[0]!.state).toMatchObject({ status: 'running', step: 8 });
    expect(h.of('losses').map((e) => e.step)).toEqual([12, 16]);
    expect(h.of('state').at(-1)!.state).toMatchObject({ status: 'done', step: 16 });
    h.runner.dispose();
  });

  it('resumes a checkpoint stored under the key that held sampler params, and moves it to the current key', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 8 }), resume: false });
    const loaded = loadText(preset('flow'));
    if (!loaded.ok) throw new Error('flow does not load');
    const [current, older] = checkpointKeys(loaded.document) as [string, string];
    // As an earlier release stored it.
    h.store.records.set(older, h.store.records.get(current)!);
    h.store.records.delete(current);
    h.events.length = 0;
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 16 }), resume: true });
    expect(h.of('state')[0]!.state).toMatchObject({ status: 'running', step: 8 });
    expect([...h.store.records.keys()]).toEqual([current]);
    expect(h.store.records.get(current)!.info.step).toBe(16);
    h.runner.dispose();
  });

  it('pauses (saving a checkpoint), then stops when told', async () => {
    const h = harness();
    const run = h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 100_000, logEvery: 2, checkpointEvery: 1000 }), resume: false });
    await expect.poll(() => h.of('losses').length, { timeout: 20_000 }).toBeGreaterThan(0);
    await h.runner.handle({ type: 'pause' });
    await expect.poll(() => h.statuses().at(-1), { timeout: 20_000 }).toBe('paused');
    await expect.poll(() => h.of('checkpoint').length).toBe(1);
    const pausedAt = h.of('checkpoint')[0]!.step;
    await new Promise((resolve) => setTimeout(resolve, 150));
    await h.runner.handle({ type: 'stop' });
    await run;
    expect(h.statuses()).toEqual(['running', 'paused', 'stopped']);
    expect(h.of('state').at(-1)!.state).toMatchObject({ step: pausedAt });
    h.runner.dispose();
  });

  it('moves to the next backend and resumes from the last checkpoint when the GPU device is lost', async () => {
    let loseDevice!: (info: { reason: string; message: string }) => void;
    const device = { lost: new Promise<{ reason: string; message: string }>((resolve) => (loseDevice = resolve)), destroy: () => loseDevice({ reason: 'destroyed', message: 'device destroyed' }) };
    let current: BrowserBackend | undefined;
    const h = harness({
      startBackend: async (name) => {
        current = name;
        await tf.setBackend('cpu');
        return name === 'webgpu' ? { adapter: 'test adapter' } : {};
      },
      gpuDevice: () => (current === 'webgpu' ? device : undefined),
    });
    const run = h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 40, logEvery: 2, checkpointEvery: 10 }), resume: false });
    await expect.poll(() => h.of('checkpoint').length, { timeout: 20_000 }).toBeGreaterThan(0);
    await h.runner.handle({ type: 'loseDevice' });
    await run;
    const backends = h.of('backend');
    expect(backends.map((b) => b.backend)).toEqual(['webgpu', 'webgl']);
    expect(backends[0]!.adapter).toBe('test adapter');
    expect(backends[1]!.fallbackReason).toContain('webgpu: the GPU device was lost (device destroyed)');
    expect(h.of('notice')[0]!.text).toMatch(/training goes on with webgl from the checkpoint at step \d+/);
    // The person never saw a stop: the run went on to the end.
    expect(h.statuses().filter((s) => s !== 'running')).toEqual(['done']);
    expect(h.of('state').at(-1)!.state).toMatchObject({ status: 'done', step: 40 });
    h.runner.dispose();
  });

  it('trains on the backend the settings name, and chooses again when the setting changes', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 2, backend: 'wasm' }), resume: false });
    expect(h.started).toEqual(['wasm']);
    expect(h.of('backend')).toEqual([{ type: 'backend', backend: 'wasm' }]);
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 2, backend: 'wasm' }), resume: false });
    expect(h.started).toEqual(['wasm']);
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 2 }), resume: false });
    expect(h.started).toEqual(['wasm', 'webgpu', 'webgl']);
    expect(h.of('backend').at(-1)).toMatchObject({ backend: 'webgl', fallbackReason: 'webgpu: no adapter in this test' });
    expect(h.of('error')).toEqual([]);
    h.runner.dispose();
  });

  it('reports why a named backend cannot run, and trains nothing', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ backend: 'webgpu' }), resume: false });
    expect(h.started).toEqual(['webgpu']);
    expect(h.of('error')[0]!.message).toBe('no backend could start (webgpu: no adapter in this test)');
    expect(h.statuses()).toEqual(['idle']);
  });

  it('draws a VAE sample grid and latent interpolation, and hands out its weights', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('vae'), settings: settings({ totalSteps: 2, batchSize: 8, logEvery: 1, evalEvery: 0 }), resume: false });
    const previews = h.of('previews').at(-1)!.previews;
    expect(previews.map((p) => p.id)).toEqual(['grid:sampler', 'interpolation:sampler']);
    await h.runner.handle({ type: 'requestCheckpoint' });
    const weights = h.of('weights')[0]!;
    expect(weights.step).toBe(2);
    expect(weights.weights.byteLength).toBeGreaterThan(784 * 400 * 4);
    h.runner.dispose();
  });

  it("sends a GAN's D(real) and D(fake) with each round of previews, and none for other families", async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('gan-2d'), settings: settings({ totalSteps: 8, evalEvery: 0, previewSteps: 4, previewSeconds: 3600 }), resume: false });
    const means = h.of('discriminator');
    expect(means.map((e) => e.step)).toEqual(h.of('previews').map((e) => e.step));
    expect(means.length).toBeGreaterThan(0);
    for (const { real, fake } of means) {
      expect(real).toBeGreaterThan(0);
      expect(real).toBeLessThan(1);
      expect(fake).toBeGreaterThan(0);
      expect(fake).toBeLessThan(1);
    }
    h.runner.dispose();
    const flow = harness();
    await flow.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 4 }), resume: false });
    expect(flow.of('previews').length).toBeGreaterThan(0);
    expect(flow.of('discriminator')).toEqual([]);
    flow.runner.dispose();
  });

  it("redraws a conditional GAN's grid with the labels chosen, keeps them for the next run, and refuses a label that is no class", async () => {
    const h = harness();
    const quick = { batchSize: 4, logEvery: 1, evalEvery: 0, previewCount: 10 };
    const gridOf = (event: Extract<WorkerEvent, { type: 'previews' }> | undefined) => {
      const grid = event?.previews.find((p) => p.id === 'grid:sampler');
      return grid?.kind === 'image' ? grid : undefined;
    };
    await h.runner.handle({ type: 'start', documentText: preset('cgan'), settings: settings({ ...quick, totalSteps: 1 }), resume: false });
    expect(gridOf(h.of('previews').at(-1))?.condition?.labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    h.events.length = 0;
    await h.runner.handle({ type: 'condition', sampler: 'sampler', choice: { kind: 'values', values: [7] } });
    expect(h.of('error')).toEqual([]);
    // Only the grid is redrawn, without the D/G balance of a full round.
    expect(h.of('previews').map((e) => e.previews.map((p) => p.id))).toEqual([['grid:sampler']]);
    expect(h.of('discriminator')).toEqual([]);
    expect(gridOf(h.of('previews')[0])?.condition).toMatchObject({ choice: { kind: 'values', values: [7] }, labels: Array(10).fill(7) });
    h.events.length = 0;
    await h.runner.handle({ type: 'condition', sampler: 'sampler', choice: { kind: 'values', values: [12] } });
    await h.runner.handle({ type: 'condition', sampler: 'nowhere', choice: { kind: 'each-class' } });
    expect(h.of('error').map((e) => e.message)).toEqual([
      'sampler "sampler": the label 12 is not a class of its condition (0 to 9)',
      'sampler "nowhere" has no class-conditioned sample grid to draw with other labels',
    ]);
    expect(h.of('previews')).toEqual([]);
    // Training on from the checkpoint: the run's own rounds of previews use the labels chosen.
    await h.runner.handle({ type: 'start', documentText: preset('cgan'), settings: settings({ ...quick, totalSteps: 2 }), resume: true });
    expect(h.of('discriminator').length).toBeGreaterThan(0);
    expect(gridOf(h.of('previews').at(-1))?.condition?.labels).toEqual(Array(10).fill(7));
    h.runner.dispose();
  }, 120_000);

  it('loads weights that fit, and refuses weights of another graph with the reason', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: preset('flow'), settings: settings({ totalSteps: 4 }), resume: false });
    await h.runner.handle({ type: 'requestCheckpoint' });
    const { manifest, weights } = h.of('weights')[0]!;
    h.events.length = 0;
    h.store.records.clear();
    await h.runner.handle({ type: 'loadWeights', documentText: preset('flow'), settings: settings({}), manifest, weights: weights.slice(0) });
    expect(h.of('error')).toEqual([]);
    expect(h.of('checkpoint').map((e) => e.step)).toEqual([4]);
    expect(h.of('previews')).toHaveLength(1);
    await h.runner.handle({ type: 'loadWeights', documentText: preset('gan-2d'), settings: settings({}), manifest, weights: weights.slice(0) });
    expect(h.of('error')[0]!.message).toMatch(/^these weights do not fit this graph: it was written by another model: nodes .* changed/);
    h.runner.dispose();
  });

  it('reports bad commands and graphs that cannot train', async () => {
    const h = harness();
    await h.runner.handle({ type: 'start', documentText: '{}', settings: settings({}), resume: false });
    await h.runner.handle({ type: 'fly' });
    await h.runner.handle({ type: 'requestCheckpoint' });
    const errors = h.of('error').map((e) => e.message);
    expect(errors[0]).toMatch(/^the graph cannot be loaded/);
    // The page shows a run as starting until told otherwise: nothing started.
    expect(h.statuses()).toEqual(['idle']);
    expect(errors[1]).toMatch(/^bad command to the training worker/);
    expect(errors[2]).toBe('nothing has been trained yet: there are no weights to download');
    await h.runner.handle({ type: 'condition', sampler: 'sampler', choice: { kind: 'each-class' } });
    expect(h.of('error').at(-1)!.message).toBe('nothing has been trained yet: there are no samples to draw with other labels');
  });
});
