import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { compile } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import {
  acceptedIdentities,
  CheckpointError,
  checkModel,
  modelIdentity,
  nonFiniteWeight,
  parseManifest,
  restoreCheckpoint,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointManifest,
} from '../../src/core/train/checkpoint.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { regression, regressionBatches } from './fixtures.ts';

async function losses(session: TrainingSession, steps: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    session.trainStep();
    out.push((await session.readLosses()).objectives.main!.total);
  }
  return out;
}

describe('checkpoints', () => {
  it('resume to the same numbers: weights, optimizer state and step', async () => {
    const straight = new TrainingSession(regression(), regressionBatches);
    await losses(straight, 30);
    const expected = await losses(straight, 20);

    const first = new TrainingSession(regression(), regressionBatches);
    await losses(first, 30);
    const checkpoint = await saveCheckpoint(first);
    first.dispose();
    const manifest = parseManifest(JSON.parse(JSON.stringify(checkpoint.manifest)));
    expect(manifest.step).toBe(30);

    const resumed = new TrainingSession(regression(), regressionBatches);
    restoreCheckpoint(resumed, { manifest, weights: checkpoint.weights });
    expect(resumed.step).toBe(30);
    expect(await losses(resumed, 20)).toEqual(expected);
    straight.dispose();
    resumed.dispose();
  });

  it('leaves no tensors behind', async () => {
    const session = new TrainingSession(regression(), regressionBatches);
    await losses(session, 3);
    const checkpoint = await saveCheckpoint(session);
    const before = tf.memory().numTensors;
    restoreCheckpoint(session, checkpoint);
    expect(tf.memory().numTensors).toBe(before);
    session.dispose();
  });

  it('refuses foreign or damaged checkpoints with a clear reason', async () => {
    const session = new TrainingSession(regression(), regressionBatches);
    const checkpoint = await saveCheckpoint(session);
    expect(() => parseManifest({ format: 'other' })).toThrow(CheckpointError);
    expect(() => parseManifest({ ...checkpoint.manifest, version: 9 })).toThrow(/version 9/);
    expect(() => restoreCheckpoint(session, { manifest: checkpoint.manifest, weights: checkpoint.weights.slice(4) })).toThrow(/bytes/);
    const renamed = structuredClone(checkpoint.manifest);
    renamed.weightsManifest[0]!.weights[0]!.name = 'elsewhere/kernel';
    expect(() => restoreCheckpoint(session, { manifest: renamed, weights: checkpoint.weights })).toThrow(/no weights for "fit\/kernel"/);
    session.dispose();
  });

  const trained = async (program = regression(), steps = 3) => {
    const session = new TrainingSession(program, regressionBatches);
    await losses(session, steps);
    const checkpoint = await saveCheckpoint(session);
    session.dispose();
    return checkpoint;
  };
  /** The manifest as it reads back from model.json. */
  const reread = (checkpoint: Checkpoint) => ({ manifest: parseManifest(JSON.parse(JSON.stringify(checkpoint.manifest))), weights: checkpoint.weights });
  const refusal = (program: ReturnType<typeof regression>, checkpoint: Checkpoint, purpose: 'resume' | 'weights' = 'resume') => {
    const session = new TrainingSession(program, regressionBatches);
    try {
      restoreCheckpoint(session, checkpoint, purpose);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(CheckpointError);
      return (error as Error).message;
    } finally {
      session.dispose();
    }
  };

  it('records the model that wrote it and refuses another, naming what differs', async () => {
    const checkpoint = reread(await trained());
    expect(checkpoint.manifest.model).toMatchObject({ seed: 1, batchSize: 32, objectives: [{ id: 'main', share: 1 }] });
    expect(refusal(regression(), checkpoint)).toBeUndefined();
    // The same shapes with another optimizer: refused, with the field that differs.
    expect(refusal(regression({ type: 'adam', learningRate: 0.01 }), checkpoint)).toMatch(/another model: objective "main": optimizer learningRate is 0.05 in the checkpoint, 0.01 here/);
    expect(refusal(regression({ type: 'sgd', learningRate: 0.05 }), checkpoint)).toMatch(/optimizer type is "adam" in the checkpoint, "sgd" here/);
    // Another graph with the same variables: the node that changed is named.
    const program = regression();
    const document = structuredClone(program.document);
    document.nodes.find((n) => n.id === 'loss')!.params = { loss: 'l1', reduction: 'mean' };
    const other = { ...program, document };
    expect(refusal(other, checkpoint)).toMatch(/node "loss" changed/);
    // Seed and batch size matter to a resumed run, not to sampling from the weights.
    const reseeded = { ...program, document: { ...program.document, training: { ...program.document.training, seed: 7 } } };
    expect(refusal(reseeded, checkpoint)).toMatch(/seed is 1 in the checkpoint, 7 here/);
    expect(refusal(reseeded, checkpoint, 'weights')).toBeUndefined();
  });

  it("leaves a sampler's params out of the model, and still accepts checkpoints whose identity held them", () => {
    const loaded = loadText(readFileSync('graph-presets/vae.json', 'utf8'));
    if (!loaded.ok) throw new Error('vae does not load');
    const compiled = compile(loaded.document);
    if (!compiled.ok) throw new Error('vae does not compile');
    const { objectives } = compiled.program;
    const withParams = (doc: GraphDocument, id: string, params: GraphDocument['nodes'][number]['params']): GraphDocument => ({
      ...doc,
      nodes: doc.nodes.map((n) => (n.id === id ? { ...n, params: { ...n.params, ...params } } : n)),
    });
    const manifestOf = (model: CheckpointManifest['model']) => ({ model }) as CheckpointManifest;
    const refusal = (model: CheckpointManifest['model'], doc: GraphDocument) => {
      try {
        checkModel(manifestOf(model), acceptedIdentities(doc, objectives), 'resume');
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    const doc = loaded.document;
    const saved = modelIdentity(doc, objectives);
    // Another count of samples: the same weights.
    const moreSamples = withParams(doc, 'sampler', { count: 7 });
    expect(modelIdentity(moreSamples, objectives)).toEqual(saved);
    expect(refusal(saved, moreSamples)).toBeUndefined();
    // A layer's params still make another model.
    expect(refusal(saved, withParams(doc, 'encoder', { latent: 8 }))).toMatch(/node "encoder" changed/);
    // Checkpoints written while sampler params counted: accepted for the graph that wrote them...
    const older = modelIdentity(doc, objectives, { samplerParams: true });
    expect(older.fingerprint).not.toBe(saved.fingerprint);
    expect(refusal(older, doc)).toBeUndefined();
    // ...though a changed sampler can no longer be told from a changed model in them.
    expect(refusal(older, moreSamples)).toMatch(/node "sampler" changed/);
  });

  it('refuses weights that are not finite, and says which', async () => {
    const checkpoint = await trained();
    const values = new Float32Array(checkpoint.weights.slice(0));
    values[1] = Number.NaN;
    const poisoned = { manifest: checkpoint.manifest, weights: values.buffer };
    expect(nonFiniteWeight(poisoned)).toMatch(/"fit\/kernel" holds NaN \(at index 1\)/);
    expect(refusal(regression(), poisoned, 'weights')).toMatch(/not finite: "fit\/kernel" holds NaN/);
    expect(nonFiniteWeight(checkpoint)).toBeUndefined();
  });

  it('checks the optimizer state and step counts against the graph', async () => {
    const checkpoint = reread(await trained());
    const specs = () => structuredClone(checkpoint.manifest);
    const slot = specs();
    const m = slot.weightsManifest[0]!.weights.find((w) => w.name.endsWith('/m'))!;
    m.name = 'optimizer/elsewhere/fit/kernel/m';
    expect(refusal(regression(), { manifest: slot, weights: checkpoint.weights })).toMatch(/weights "optimizer\/elsewhere\/fit\/kernel\/m" that this graph does not have/);
    m.name = 'optimizer/main/fit/kernel/momentum';
    expect(refusal(regression(), { manifest: slot, weights: checkpoint.weights })).toMatch(/optimizer state "optimizer\/main\/fit\/kernel\/momentum" that objective "main" does not keep/);
    const steps = specs();
    steps.optimizerSteps = [['main', 2]];
    expect(refusal(regression(), { manifest: steps, weights: checkpoint.weights })).toMatch(/objective "main" took 2 updates in the checkpoint, but step 3 of the share cycle means 3/);
    steps.optimizerSteps = [['ghost', 3]];
    expect(refusal(regression(), { manifest: steps, weights: checkpoint.weights })).toMatch(/steps of objective "ghost"/);
    expect(() => parseManifest({ ...checkpoint.manifest, step: -1 })).toThrow(/invalid at step/);
    expect(() => parseManifest({ ...checkpoint.manifest, step: 1.5 })).toThrow(/invalid at step/);
    expect(() => parseManifest({ ...checkpoint.manifest, optimizerSteps: [['main', 1], ['main', 2]] })).toThrow(/twice/);
    const twice = specs();
    twice.weightsManifest[0]!.weights.push(twice.weightsManifest[0]!.weights[0]!);
    expect(() => parseManifest(twice)).toThrow(/lists the weight "fit\/kernel" twice/);
    const huge = specs();
    huge.weightsManifest[0]!.weights[0]!.shape = [2 ** 31 - 1, 2 ** 31 - 1];
    expect(() => parseManifest(huge)).toThrow(/GiB of weights/);
  });

  it('reads version 1 checkpoints, checked by their weights', async () => {
    const { manifest, weights } = await trained();
    const v1 = { format: manifest.format, version: 1, step: manifest.step, optimizerSteps: Object.fromEntries(manifest.optimizerSteps), graph: manifest.graph, weightsManifest: manifest.weightsManifest };
    const session = new TrainingSession(regression(), regressionBatches);
    restoreCheckpoint(session, { manifest: parseManifest(v1), weights });
    expect(session.step).toBe(3);
    expect(session.optimizers.get('main')!.steps).toBe(3);
    session.dispose();
  });

  it('any damage to model.json is a CheckpointError, never another error', async () => {
    const checkpoint = await trained();
    const base = JSON.parse(JSON.stringify(checkpoint.manifest)) as Record<string, unknown>;
    const session = new TrainingSession(regression(), regressionBatches);
    // Its optimizer state exists already, so a restore that passes assigns and creates nothing.
    await losses(session, 1);
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
    };
    walk(base, []);
    const odd = fc.oneof(fc.constant(null), fc.constant('__proto__'), fc.constant(-1), fc.constant(1e308), fc.constant([]), fc.constant({}), fc.string(), fc.integer(), fc.double(), fc.boolean());
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(fc.constantFrom(...paths.filter((p) => p.length > 0)), odd, (path, value) => {
        const manifest = structuredClone(base);
        let at: Record<string | number, unknown> = manifest;
        for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
        at[path.at(-1)!] = value;
        try {
          restoreCheckpoint(session, { manifest: parseManifest(manifest), weights: checkpoint.weights });
        } catch (error) {
          if (!(error instanceof CheckpointError)) throw error;
        }
      }),
      { numRuns: 400, seed: 7 },
    );
    expect(tf.memory().numTensors).toBe(before);
    session.dispose();
  });
});

