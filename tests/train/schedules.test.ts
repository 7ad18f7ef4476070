/**
 * Schedules over an objective's updates: the learning rate (linear warm-up,
 * cosine decay to a floor) and the KL weight's warm-up (β-VAE, KL
 * annealing), by hand at chosen steps, in the optimizer's updates and the
 * loss's value, and a resumed run that is the same run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { loadValue } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { zOptimizer, type GraphDocument } from '../../src/core/graph/schema.ts';
import { klWeight } from '../../src/core/nodes/kl-divergence.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { parseManifest, restoreCheckpoint, saveCheckpoint } from '../../src/core/train/checkpoint.ts';
import { createOptimizer } from '../../src/core/train/optimizers.ts';
import { learningRateAt } from '../../src/core/train/schedules.ts';
import { TrainingSession, type BatchProvider } from '../../src/core/train/session.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { expectClose, makeDocument } from '../helpers.ts';
import { handVae } from './hand-vae.ts';

const optimizer = (settings: Record<string, unknown>) => zOptimizer.parse(settings);

describe('the learning-rate schedule', () => {
  it('is the constant learning rate without one', () => {
    const settings = optimizer({ learningRate: 0.01 });
    expect(settings.schedule).toBeUndefined();
    for (const t of [0, 1, 1000]) expect(learningRateAt(settings, t)).toBe(0.01);
  });

  it('warms up linearly: lr · (t + 1) / warmupSteps, then holds', () => {
    const settings = optimizer({ learningRate: 0.1, schedule: { warmupSteps: 4 } });
    expectClose([0, 1, 2, 3, 4, 100].map((t) => learningRateAt(settings, t)), [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], 1e-12);
  });

  it('decays along a half cosine to its floor after the warm-up, by hand', () => {
    // Warm-up 2, then 4 updates of cosine from 1 down to 0.2: at progress p, 0.2 + 0.8 · ½(1 + cos πp).
    const settings = optimizer({ learningRate: 1, schedule: { warmupSteps: 2, decay: 'cosine', decaySteps: 4, minLearningRate: 0.2 } });
    const at = [0, 1, 2, 3, 4, 5, 6, 7, 50].map((t) => learningRateAt(settings, t));
    // p = 0, ¼, ½, ¾, 1: cos = 1, √½, 0, −√½, −1.
    const half = Math.SQRT1_2;
    expectClose(at, [0.5, 1, 1, 0.2 + 0.4 * (1 + half), 0.6, 0.2 + 0.4 * (1 - half), 0.2, 0.2, 0.2], 1e-12);
  });

  it('refuses a cosine without its length and a floor above the rate', () => {
    expect(zOptimizer.safeParse({ schedule: { decay: 'cosine' } }).success).toBe(false);
    expect(zOptimizer.safeParse({ learningRate: 0.001, schedule: { decay: 'cosine', decaySteps: 10, minLearningRate: 0.01 } }).success).toBe(false);
    expect(zOptimizer.safeParse({ schedule: { warmupSteps: -1 } }).success).toBe(false);
    expect(zOptimizer.safeParse({ schedule: { warmup: 3 } }).success).toBe(false);
  });

  it('drives the optimizer: plain SGD on a constant gradient of 1 moves by each update’s rate', async () => {
    const settings = optimizer({ type: 'sgd', learningRate: 1, schedule: { warmupSteps: 2, decay: 'cosine', decaySteps: 4, minLearningRate: 0.2 } });
    const w = tf.variable(tf.scalar(0));
    const opt = createOptimizer(settings, new Map([['w', w]]), ['w']);
    const moved: number[] = [];
    const one = tf.scalar(1);
    for (let t = 0; t < 7; t++) {
      const before = (await w.data())[0]!;
      opt.apply({ w: one });
      moved.push(before - (await w.data())[0]!);
    }
    expectClose(moved, [0, 1, 2, 3, 4, 5, 6].map((t) => learningRateAt(settings, t)), 1e-6);
    expect(opt.steps).toBe(7);
    tf.dispose([w, one]);
    opt.dispose();
  });

  it('older documents, without a schedule, load and save unchanged', () => {
    const doc = handVae();
    const text = saveDocument(doc);
    expect(text).not.toContain('schedule');
    const loaded = loadValue(JSON.parse(text));
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(saveDocument(loaded.document)).toBe(text);
  });
});

describe('the KL weight: β with a linear warm-up', () => {
  it('is β · min(1, t / warmupSteps), β without a step or a warm-up', () => {
    const params = { weight: 4, warmupSteps: 10 };
    expect([0, 1, 5, 10, 11, 1000].map((t) => klWeight(params, t))).toEqual([0, 0.4, 2, 4, 4, 4]);
    expect(klWeight(params, undefined)).toBe(4);
    expect(klWeight({ weight: 0.5, warmupSteps: 0 }, 0)).toBe(0.5);
  });

  it('scales the loss at the step the forward pass is given, by hand', async () => {
    // mu = [1, 2], logvar = [0, ln 2]: KL = Σ ½(mu² + e^logvar − 1 − logvar) = ½(1 + 0) + ½(4 + 1 − ln 2) = 3 − ½ ln 2.
    const mu = [1, 2];
    const logvar = [0, Math.log(2)];
    const kl = mu.reduce((sum, m, i) => sum + 0.5 * (m * m + Math.exp(logvar[i]!) - 1 - logvar[i]!), 0);
    const analysis = analyze(
      makeDocument(
        [
          { id: 'mu', kind: 'Input', params: { shape: [2] } },
          { id: 'lv', kind: 'Input', params: { shape: [2] } },
          { id: 'n', kind: 'KLDivergence', params: { weight: 3, warmupSteps: 8 } },
        ],
        ['mu.x->n.mu', 'lv.x->n.logvar'],
      ),
    );
    const key = analysis.nodes.get('n')!.outputKeys.loss!;
    const feeds = { mu: { x: tf.tensor([mu]) }, lv: { x: tf.tensor([logvar]) } };
    const at = async (step: number | undefined) => {
      const values = runOps(analysis.ops, analysis, { variables: createVariables(analysis, 0), feeds, batchSize: 1, training: true, random: createRandom(0), ...(step !== undefined ? { step } : {}) });
      const v = (await values.get(key)!.data())[0]!;
      values.get(key)!.dispose();
      return v;
    };
    expectClose([await at(0), await at(2), await at(8), await at(100), await at(undefined)], [0, (3 * 2 * kl) / 8, 3 * kl, 3 * kl, 3 * kl]);
  });
});

/** A small VAE with a KL warm-up of 40 updates and a learning-rate warm-up of 10 then 30 of cosine: both mid-course at step 30. */
function scheduledVae(): GraphDocument {
  const doc = handVae({ kl: { weight: 2, warmupSteps: 40 } });
  doc.training.batchSize = 8;
  doc.training.objectives = [{ id: 'main', updates: [], share: 1, optimizer: optimizer({ learningRate: 0.003, schedule: { warmupSteps: 10, decay: 'cosine', decaySteps: 30, minLearningRate: 0.0003 } }) }];
  return doc;
}

/** Binary images drawn from (seed, step), as a data source would. */
const batches: BatchProvider = (_op, step, batch) => {
  const rng = new Rng(1000 + step);
  return { x: tf.tensor(Float32Array.from({ length: batch * 784 }, () => (rng.uniform() < 0.2 ? 1 : 0)), [batch, 784]), y: tf.zeros([batch], 'int32') };
};

async function lossesOf(session: TrainingSession, steps: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    session.trainStep();
    out.push((await session.readLosses()).objectives.main!.losses.kl!);
  }
  return out;
}

describe('a resumed run follows the same schedules', () => {
  it('checkpoint at step 30, mid warm-up and mid decay: the next 20 losses equal those of an unbroken run', async () => {
    const compiled = compile(scheduledVae());
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const straight = new TrainingSession(compiled.program, batches);
    const head = await lossesOf(straight, 30);
    const expected = await lossesOf(straight, 20);
    // The warm-up shows in the loss: the weighted KL starts at 0.
    expect(head[0]).toBe(0);

    const first = new TrainingSession(compiled.program, batches);
    await lossesOf(first, 30);
    const checkpoint = await saveCheckpoint(first);
    first.dispose();
    const resumed = new TrainingSession(compiled.program, batches);
    restoreCheckpoint(resumed, { manifest: parseManifest(JSON.parse(JSON.stringify(checkpoint.manifest))), weights: checkpoint.weights });
    expect(resumed.optimizers.get('main')!.steps).toBe(30);
    expect(await lossesOf(resumed, 20)).toEqual(expected);

    // Not vacuous: a run that restarts its schedules at step 30 (fresh optimizer state) takes other steps.
    const restarted = new TrainingSession(compiled.program, batches);
    restoreCheckpoint(restarted, { manifest: parseManifest(JSON.parse(JSON.stringify(checkpoint.manifest))), weights: checkpoint.weights });
    restarted.optimizers.get('main')!.restore(0, new Map());
    expect(await lossesOf(restarted, 20)).not.toEqual(expected);
    straight.dispose();
    resumed.dispose();
    restarted.dispose();
  });
});
