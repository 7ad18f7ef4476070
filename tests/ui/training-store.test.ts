import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnostic } from '../../src/core/base/diagnostics.ts';
import { emptySeries } from '../../src/ui/training/series.ts';
import { initialTrainingStore, reduceTraining, type TrainingAction, type TrainingStore } from '../../src/ui/training/training-store.ts';
import type { ConditionChoice } from '../../src/core/nodes/sampler-condition.ts';
import type { Preview } from '../../src/worker/protocol.ts';

const reduce = (actions: TrainingAction[], from: TrainingStore = initialTrainingStore) => actions.reduce(reduceTraining, from);
const running = { status: 'running', step: 40, totalSteps: 100, stepsPerSecond: 5 } as const;
const info = { step: 40, savedAt: 'then', graph: 'VAE' };

describe('the training store reducer', () => {
  it('shows a run as started at once, with the last run cleared and the panel open', () => {
    const before = reduce([
      { type: 'worker', graphName: 'VAE', event: { type: 'backend', backend: 'wasm' } },
      { type: 'storedFound', info },
      { type: 'worker', graphName: 'VAE', event: { type: 'discriminator', step: 10, real: 0.6, fake: 0.4, scale: 'probability', gap: 0.2 } },
      { type: 'totalSteps', totalSteps: 500 },
    ]);
    const view = reduceTraining(before, { type: 'starting', step: 40, totalSteps: 500 });
    expect(view.state).toEqual({ status: 'running', step: 40, totalSteps: 500, stepsPerSecond: 0 });
    expect(view).toMatchObject({ panelOpen: true, totalSteps: 500, backend: { backend: 'wasm' }, stored: info, discriminator: emptySeries });
  });

  it('shows Stop at once as stopping, until the worker says the run stopped; nothing to stop, nothing shown', () => {
    const runningView = reduce([{ type: 'worker', graphName: 'g', event: { type: 'state', state: running } }]);
    const stopping = reduceTraining(runningView, { type: 'stopping' });
    expect(stopping.stopping).toBe(true);
    // A progress report between the press and the stop keeps it.
    const stillStopping = reduceTraining(stopping, { type: 'worker', graphName: 'g', event: { type: 'losses', step: 41, objectives: {}, stepsPerSecond: 5, elapsedSeconds: 9 } });
    expect(stillStopping.stopping).toBe(true);
    const stopped = reduceTraining(stillStopping, { type: 'worker', graphName: 'g', event: { type: 'state', state: { status: 'stopped', step: 41, totalSteps: 100 } } });
    expect(stopped.stopping).toBe(false);
    expect(reduce([{ type: 'stopping' }]).stopping).toBe(false);
    expect(reduceTraining(stopping, { type: 'workerFailed', message: 'x' }).stopping).toBe(false);
  });

  it('opens the panel on an error from the worker', () => {
    const failed = diagnostic('GC206', { step: 3, objective: 'elbo', value: Number.NaN });
    const view = reduce([{ type: 'worker', graphName: 'VAE', event: { type: 'error', message: failed.message, diagnostic: failed } }]);
    expect(view.panelOpen).toBe(true);
    expect(view.error).toMatchObject({ code: 'GC206', nodes: [] });
    expect(reduce([{ type: 'worker', graphName: 'VAE', event: { type: 'notice', text: 'hi' } }]).panelOpen).toBe(false);
  });

  it('stops a run the failed worker held, and keeps a finished state as it was', () => {
    const stopped = reduce([{ type: 'worker', graphName: 'g', event: { type: 'state', state: running } }, { type: 'workerFailed', message: 'the training worker failed: boom' }]);
    expect(stopped.state).toEqual({ status: 'stopped', step: 40, totalSteps: 100 });
    expect(stopped.error).toEqual({ message: 'the training worker failed: boom', nodes: [] });
    const done = { status: 'done', step: 100, totalSteps: 100 } as const;
    expect(reduce([{ type: 'worker', graphName: 'g', event: { type: 'state', state: done } }, { type: 'workerFailed', message: 'x' }]).state).toEqual(done);
  });

  it('loads weights into a cleared view, or says why they were refused', () => {
    const withError = reduce([{ type: 'weightsRefused', message: 'These weights cannot be loaded: no' }]);
    expect(withError).toMatchObject({ panelOpen: true, error: { message: 'These weights cannot be loaded: no', nodes: [] } });
    const loading = reduceTraining({ ...withError, panelOpen: false }, { type: 'weightsLoading' });
    expect(loading).toMatchObject({ panelOpen: true, error: undefined, state: { status: 'idle' } });
  });

  it("takes a stored checkpoint and another graph's opening only while no run holds the worker", () => {
    const active = reduce([{ type: 'storedFound', info }, { type: 'worker', graphName: 'g', event: { type: 'state', state: running } }]);
    expect(reduceTraining(active, { type: 'storedFound', info: undefined })).toBe(active);
    expect(reduceTraining(active, { type: 'graphOpened' })).toBe(active);
    const idle = reduce([{ type: 'storedFound', info }, { type: 'worker', graphName: 'g', event: { type: 'eval', step: 5, metrics: { elbo: 1 } } }]);
    expect(reduceTraining(idle, { type: 'storedFound', info: undefined }).stored).toBeUndefined();
    const opened = reduceTraining(idle, { type: 'graphOpened' });
    expect(opened.evals).toEqual(emptySeries);
    expect(opened.stored).toEqual(info);
  });

  it("keeps the panel's settings", () => {
    const view = reduce([
      { type: 'panel', open: true },
      { type: 'totalSteps', totalSteps: 2000 },
      { type: 'backendChoice', choice: 'webgl' },
      { type: 'temperature', temperature: 0.7 },
    ]);
    expect(view).toMatchObject({ panelOpen: true, totalSteps: 2000, backendChoice: 'webgl', temperature: 0.7 });
    expect(reduceTraining(view, { type: 'panel', open: false }).panelOpen).toBe(false);
  });

  it("holds a class picker's choice until a grid drawn with it arrives, and drops it when the worker refuses or a run starts", () => {
    const pixels = new Uint8ClampedArray(4);
    const grid = (sampler: string, choice: ConditionChoice, labels: number[]): Preview => ({ kind: 'image', id: `grid:${sampler}`, title: 'Samples', width: 1, height: 1, pixels, condition: { sampler, classes: 10, choice, labels } });
    const previews = (...list: Preview[]): TrainingAction => ({ type: 'worker', graphName: 'g', event: { type: 'previews', step: 5, previews: list } });
    const sevens: ConditionChoice = { kind: 'values', values: [7] };
    const asked = reduce([
      previews(grid('a', { kind: 'each-class' }, [0, 1]), grid('b', { kind: 'each-class' }, [0, 1])),
      { type: 'condition', sampler: 'a', choice: sevens },
      { type: 'condition', sampler: 'b', choice: { kind: 'held-out' } },
    ]);
    expect(asked.requestedConditions).toEqual({ a: sevens, b: { kind: 'held-out' } });
    // A round of previews still drawn with the old labels leaves the request pending...
    const stale = reduceTraining(asked, previews(grid('a', { kind: 'each-class' }, [0, 1])));
    expect(stale.requestedConditions).toEqual(asked.requestedConditions);
    // ...the redraw with the labels asked for settles it, and only it.
    const drawn = reduceTraining(stale, previews(grid('a', { kind: 'values', values: [7] }, [7, 7])));
    expect(drawn.requestedConditions).toEqual({ b: { kind: 'held-out' } });
    expect(drawn.previews.find((p) => p.id === 'grid:a')).toMatchObject({ condition: { choice: sevens, labels: [7, 7] } });
    const refused = reduceTraining(drawn, { type: 'worker', graphName: 'g', event: { type: 'error', message: 'sampler "b": no held-out examples' } });
    expect(refused.requestedConditions).toEqual({});
    expect(reduceTraining(drawn, { type: 'starting', step: 0, totalSteps: 10 }).requestedConditions).toEqual({});
  });

  it('is the only way the UI changes the store', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
    const setting = files('src/ui').filter((f) => f !== join('src/ui/training/training-store.ts') && readFileSync(f, 'utf8').includes('useTraining.setState'));
    expect(setting).toEqual([]);
  });
});
