/** The app's memory limit travels with each run: the worker compiles under it, as the editor analyses under it. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import type { WorkerEvent } from '../../src/worker/protocol.ts';
import { trainingSettings } from '../../src/worker/protocol.ts';
import { TrainingRunner } from '../../src/worker/runner.ts';

function runner() {
  const events: WorkerEvent[] = [];
  const store = { info: async () => undefined, load: async () => undefined, save: async () => {}, remove: async () => {} };
  const r = new TrainingRunner({
    post: (event) => events.push(event),
    startBackend: async () => {
      await tf.setBackend('cpu');
      return {};
    },
    readAsset: readPublicAsset,
    store,
  });
  return { r, events };
}

const gan = readFileSync('graph-presets/gan.json', 'utf8');
const settings = (memoryLimitMB?: number) => trainingSettings({ totalSteps: 1, batchSize: 4, ...(memoryLimitMB === undefined ? {} : { memoryLimitMB }) });

describe('memory limit in the worker', () => {
  it('a graph over the limit does not start, and the error names GC109', async () => {
    const { r, events } = runner();
    await r.handle({ type: 'start', documentText: gan, settings: settings(16), resume: false });
    const error = events.find((e): e is Extract<WorkerEvent, { type: 'error' }> => e.type === 'error');
    expect(error?.diagnostic?.code).toBe('GC109');
    expect(error?.diagnostic?.message).toMatch(/the budget is 16 MB\.$/);
    expect(events.some((e) => e.type === 'losses')).toBe(false);
    r.dispose();
  });

  it('settings refuse a limit out of range', () => {
    expect(() => settings(8)).toThrow();
    expect(settings(undefined).memoryLimitMB).toBeUndefined();
  });
});
