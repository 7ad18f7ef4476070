import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { moveNodes, removeNodes } from '../../src/core/edits/recipes.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { diagnostic } from '../../src/core/base/diagnostics.ts';
import type { CheckpointManifest } from '../../src/core/train/checkpoint.ts';
import { getEditor, setEditGuard } from '../../src/ui/store/editor-store.ts';
import { formatDuration, progressOf, progressText, smoothSpeed } from '../../src/ui/training/progress.ts';
import { appendPoint, chartData, emptySeries, lossPoint, mergeSeries, pick } from '../../src/ui/training/series.ts';
import { clearRun, initialTrainingView, isActive, reduceTrainingEvent, type TrainingView } from '../../src/ui/training/training-store.ts';
import { checkWeightsFit } from '../../src/ui/training/weights-files.ts';
import { pickerOptions } from '../../src/ui/training/PreviewView.tsx';
import type { WorkerEvent } from '../../src/worker/protocol.ts';

function preset(name: string): GraphDocument {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error('does not load');
  return loaded.document;
}

describe('chart series', () => {
  it('adds lines as they appear and keeps columns aligned', () => {
    let s = appendPoint(emptySeries, 10, { elbo: 500 });
    s = appendPoint(s, 20, { elbo: 400, kl: 12 });
    expect(chartData(s)).toEqual([[10, 20], [500, 400], [null, 12]]);
    expect(pick(s, ['kl']).names).toEqual(['kl']);
  });

  it('replaces points of a repeated step and records non-finite values as gaps', () => {
    let s = appendPoint(emptySeries, 10, { a: 1 });
    s = appendPoint(s, 20, { a: 2 });
    s = appendPoint(s, 20, { a: Number.NaN });
    expect(chartData(s)).toEqual([[10, 20], [1, null]]);
  });

  it('thins long runs by half, keeping the newest point', () => {
    let s = emptySeries;
    for (let step = 1; step <= 9; step++) s = appendPoint(s, step, { a: step }, 8);
    expect(s.steps).toEqual([2, 4, 6, 8, 9]);
    expect(s.values[0]).toEqual([2, 4, 6, 8, 9]);
  });

  it('merges two series on the union of their steps', () => {
    const losses = appendPoint(appendPoint(appendPoint(emptySeries, 2, { D: 1.4 }), 4, { D: 1.3 }), 6, { D: 1.2 });
    const means = appendPoint(appendPoint(emptySeries, 4, { 'D(real)': 0.6 }), 5, { 'D(real)': 0.7 });
    expect(mergeSeries(losses, means)).toEqual({ steps: [2, 4, 5, 6], names: ['D', 'D(real)'], values: [[1.4, 1.3, null, 1.2], [null, 0.6, 0.7, null]] });
    expect(mergeSeries(losses, emptySeries)).toBe(losses);
  });

  it('charts each objective and, when it has several, its loss nodes', () => {
    expect(lossPoint({ elbo: { total: 3, losses: { reconstruction: 2, kl: 1 } }, D: { total: 0.7, losses: { adv: 0.7 } } })).toEqual({
      elbo: 3,
      'elbo · reconstruction': 2,
      'elbo · kl': 1,
      D: 0.7,
    });
  });
});

describe('progress', () => {
  it('computes the share done and the time left at the current speed', () => {
    const p = progressOf({ status: 'running', step: 100, totalSteps: 400, stepsPerSecond: 20 }, 20)!;
    expect(p).toEqual({ step: 100, totalSteps: 400, fraction: 0.25, stepsPerSecond: 20, etaSeconds: 15 });
    expect(progressText(p, true)).toBe('step 100 / 400 · 20 steps/s · ETA 0:15');
    expect(progressText(p, false)).toBe('step 100 / 400');
    expect(progressOf({ status: 'running', step: 0, totalSteps: 10, stepsPerSecond: 0 }, 0)!.etaSeconds).toBeUndefined();
    expect(progressOf({ status: 'idle' }, 5)).toBeUndefined();
  });

  it('formats durations and smooths the speed', () => {
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(smoothSpeed(0, 10)).toBe(10);
    expect(smoothSpeed(10, 20)).toBe(13);
    expect(smoothSpeed(10, 0)).toBe(10);
  });
});

describe('the training view', () => {
  const run = (events: WorkerEvent[], from: TrainingView = initialTrainingView) => events.reduce((v, e) => reduceTrainingEvent(v, e, 'VAE'), from);

  it('follows a run: backend, state, losses, previews, checkpoint', () => {
    const pixels = new Uint8ClampedArray(4);
    const view = run([
      { type: 'backend', backend: 'webgpu', adapter: 'google swiftshader' },
      { type: 'state', state: { status: 'running', step: 0, totalSteps: 30, stepsPerSecond: 0 } },
      { type: 'losses', step: 10, objectives: { elbo: { total: 300, losses: { r: 290, kl: 10 } } }, stepsPerSecond: 5, elapsedSeconds: 2 },
      { type: 'previews', step: 10, previews: [{ kind: 'image', id: 'grid:s', title: 'Samples', width: 1, height: 1, pixels }] },
      { type: 'previews', step: 20, previews: [{ kind: 'image', id: 'grid:s', title: 'Samples', width: 1, height: 1, pixels }, { kind: 'text', id: 'text:s', title: 'T', texts: [], temperature: 1 }] },
      { type: 'eval', step: 20, metrics: { elbo: 280 } },
      { type: 'checkpoint', step: 20, savedAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(view.backend).toEqual({ backend: 'webgpu', adapter: 'google swiftshader' });
    expect(view.state).toEqual({ status: 'running', step: 10, totalSteps: 30, stepsPerSecond: 5 });
    expect(view.losses.names).toEqual(['elbo', 'elbo · r', 'elbo · kl']);
    expect(view.previews.map((p) => p.id)).toEqual(['grid:s', 'text:s']);
    expect(view.previewStep).toBe(20);
    expect(view.evals.names).toEqual(['elbo (held-out)']);
    expect(view.stored).toEqual({ step: 20, savedAt: '2026-01-01T00:00:00Z', graph: 'VAE', backend: 'webgpu' });
    expect(isActive(view.state)).toBe(true);
  });

  it("keeps a GAN's D(real) and D(fake) as a series, cleared by a new run", () => {
    const view = run([
      { type: 'discriminator', step: 10, real: 0.7, fake: 0.3, scale: 'probability', gap: 0.4 },
      { type: 'discriminator', step: 20, real: 0.55, fake: 0.45, scale: 'probability', gap: 0.1 },
    ]);
    expect(view.discriminator).toEqual({ steps: [10, 20], names: ['D(real)', 'D(fake)'], values: [[0.7, 0.55], [0.3, 0.45]] });
    expect(clearRun(view).discriminator).toEqual(emptySeries);
  });

  it("keeps a Wasserstein critic's scores with their gap, the distance estimate", () => {
    const view = run([
      { type: 'discriminator', step: 10, real: 2.5, fake: -1, scale: 'score', gap: 3.5 },
      { type: 'discriminator', step: 20, real: 0.75, fake: 0.5, scale: 'score', gap: 0.25 },
    ]);
    expect(view.discriminator).toEqual({ steps: [10, 20], names: ['D(real)', 'D(fake)', 'D(real) − D(fake)'], values: [[2.5, 0.75], [-1, 0.5], [3.5, 0.25]] });
  });

  it('keeps a NaN error naming the objective, and a new run clears it (a resume after pause does not)', () => {
    const failed = diagnostic('GC206', { step: 40, objective: 'elbo', value: Number.NaN });
    let view = run([
      { type: 'state', state: { status: 'running', step: 0, totalSteps: 99, stepsPerSecond: 0 } },
      { type: 'state', state: { status: 'failed', step: 40, totalSteps: 99, diagnostic: failed } },
      { type: 'error', message: failed.message, diagnostic: failed, nodes: ['reconstruction', 'kl'] },
    ]);
    expect(view.error).toEqual({ message: expect.stringContaining('objective "elbo" became NaN'), code: 'GC206', nodes: ['reconstruction', 'kl'] });
    expect(isActive(view.state)).toBe(false);
    view = run([{ type: 'state', state: { status: 'running', step: 0, totalSteps: 99, stepsPerSecond: 0 } }], view);
    expect(view.error).toBeUndefined();
    view = run([
      { type: 'error', message: 'x' },
      { type: 'state', state: { status: 'paused', step: 3, totalSteps: 99 } },
      { type: 'state', state: { status: 'running', step: 3, totalSteps: 99, stepsPerSecond: 0 } },
    ], view);
    expect(view.error?.message).toBe('x');
  });
});

describe('loading weights', () => {
  const manifestFor = (weights: { name: string; shape: number[] }[]) =>
    ({ format: 'gencomposer.checkpoint', version: 1, step: 1, optimizerSteps: [], graph: 'x', weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => ({ ...w, dtype: 'float32' })) }] }) as CheckpointManifest;
  const bytes = (weights: { shape: number[] }[]) => weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);

  it('says why weights do not fit the graph', () => {
    const flow = preset('flow');
    const none = manifestFor([{ name: 'other/w', shape: [2, 2] }]);
    expect(checkWeightsFit(none, 16, flow)).toMatch(/^the file has no weights for "[^"]+", "[^"]+", "[^"]+" and \d+ more: were they trained on another graph\?$/);
    expect(checkWeightsFit(none, 12, flow)).toBe('weights.bin holds 12 bytes, but model.json describes 16');
  });

  it('accepts weights with every variable at its shape', async () => {
    const flow = preset('flow');
    const { compile } = await import('../../src/core/compiler/program.ts');
    const compiled = compile(flow);
    if (!compiled.ok) throw new Error('does not compile');
    const specs = compiled.program.variables.map((v) => ({ name: v.key, shape: v.shape }));
    expect(checkWeightsFit(manifestFor(specs), bytes(specs), flow)).toBeUndefined();
    const wrong = specs.map((s, i) => (i === 0 ? { ...s, shape: [...s.shape, 2] } : s));
    expect(checkWeightsFit(manifestFor(wrong), bytes(wrong), flow)).toMatch(/^weights "[^"]+" have shape \[.*\] in the file but \[.*\] in this graph$/);
  });
});

describe('editing during training', () => {
  afterEach(() => setEditGuard(undefined));

  it('asks before a change to the model; refusing leaves the graph as it was; moving nodes is never asked', () => {
    getEditor().replaceDocument(preset('vae'));
    const asked: string[] = [];
    let answer = false;
    setEditGuard((label) => {
      asked.push(label);
      return answer;
    });
    const before = getEditor().document;
    expect(getEditor().edit(removeNodes(['kl']), 'Delete')).toBeUndefined();
    expect(getEditor().document).toBe(before);
    getEditor().edit(moveNodes({ kl: { x: 5, y: 5 } }), 'Move');
    expect(asked).toEqual(['Delete']);
    expect(getEditor().document).not.toBe(before);
    answer = true;
    getEditor().edit(removeNodes(['kl']), 'Delete');
    expect(getEditor().document.nodes.some((n) => n.id === 'kl')).toBe(false);
    getEditor().undo();
    expect(asked).toEqual(['Delete', 'Delete', 'Undo delete']);
    expect(getEditor().document.nodes.some((n) => n.id === 'kl')).toBe(true);
  });
});

describe('the class picker', () => {
  const condition = { sampler: 'sampler', classes: 3, choice: { kind: 'each-class' as const }, labels: [0, 1, 2] };

  it("offers each class, every class, and held-out labels, and the sampler's own labels when they are none of those", () => {
    expect(pickerOptions(condition, condition.choice).map((o) => o.label)).toEqual(['each class (a row per class)', 'class 0', 'class 1', 'class 2', 'held-out labels']);
    const own = pickerOptions(condition, { kind: 'values', values: [1, 2] });
    expect(own.at(-1)).toEqual({ key: 'values:1,2', label: 'labels 1, 2', choice: { kind: 'values', values: [1, 2] } });
    expect(pickerOptions(condition, { kind: 'values', values: [2] })).toHaveLength(5);
  });

  it('with the classes unknown, offers the labels it was drawn with and held-out ones', () => {
    const unknown = { sampler: 'sampler', choice: { kind: 'values' as const, values: [4] }, labels: [4, 4] };
    expect(pickerOptions(unknown, unknown.choice).map((o) => o.key)).toEqual(['held-out', 'values:4']);
  });
});
