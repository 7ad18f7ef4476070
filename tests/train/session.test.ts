import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { restoreCheckpoint, saveCheckpoint } from '../../src/core/train/checkpoint.ts';
import { nonFinite, TrainingSession } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';
import { regression, regressionBatches } from './fixtures.ts';

describe('training session', () => {
  for (const optimizer of [
    { type: 'adam', learningRate: 0.05 },
    { type: 'adamw', learningRate: 0.05, weightDecay: 0.001 },
    { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
    { type: 'sgd', learningRate: 0.1 },
    { type: 'adam', learningRate: 0.05, clipNorm: 1 },
  ]) {
    it(`fits a linear map with ${JSON.stringify(optimizer)}`, async () => {
      const session = new TrainingSession(regression(optimizer), regressionBatches);
      for (let i = 0; i < 10; i++) session.trainStep();
      const early = (await session.readLosses()).objectives.main!.total;
      for (let i = 0; i < 300; i++) session.trainStep();
      await session.readLosses();
      for (let i = 0; i < 10; i++) session.trainStep();
      const late = (await session.readLosses()).objectives.main!.total;
      expect(late).toBeLessThan(early / 20);
      expect(late).toBeLessThan(0.05);
      const kernel = await session.variables.get('fit/kernel')!.data();
      expect(Array.from(kernel).map((v) => Math.round(v))).toEqual([3, -2]);
      session.dispose();
    });
  }

  it('keeps a moving average of the weights (ema) that sampling and evaluation use, and checkpoints it', async () => {
    const kernel = async (session: TrainingSession) => Array.from(await session.variables.get('fit/kernel')!.data());
    const session = new TrainingSession(regression({ type: 'sgd', learningRate: 0.1, ema: 0.5 }), regressionBatches);
    const weights: number[][] = [];
    for (let i = 0; i < 3; i++) {
      session.trainStep();
      weights.push(await kernel(session));
    }
    // Starts at the weights after the first update: 0.5·(0.5·w1 + 0.5·w2) + 0.5·w3.
    const expected = weights[0]!.map((_, j) => 0.25 * weights[0]![j]! + 0.25 * weights[1]![j]! + 0.5 * weights[2]![j]!);
    const before = tf.memory().numTensors;
    const inside = await session.withAveragedWeights(() => kernel(session));
    inside.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 6));
    expect(await kernel(session)).toEqual(weights[2]);
    expect(tf.memory().numTensors).toBe(before);
    // No training step while the averages stand in for the weights.
    await expect(session.withAveragedWeights(async () => session.trainStep())).rejects.toThrow(/averaged weights/);
    expect(await kernel(session)).toEqual(weights[2]);

    const restored = new TrainingSession(regression({ type: 'sgd', learningRate: 0.1, ema: 0.5 }), regressionBatches);
    restoreCheckpoint(restored, await saveCheckpoint(session));
    expect(await restored.withAveragedWeights(() => kernel(restored))).toEqual(inside);
    session.dispose();
    restored.dispose();

    const plain = new TrainingSession(regression({ type: 'sgd', learningRate: 0.1 }), regressionBatches);
    plain.trainStep();
    const trained = await kernel(plain);
    expect(await plain.withAveragedWeights(() => kernel(plain))).toEqual(trained);
    plain.dispose();
  });

  it('keeps the number of live tensors flat over many steps', async () => {
    const session = new TrainingSession(regression(), regressionBatches);
    for (let i = 0; i < 20; i++) session.trainStep();
    await session.readLosses();
    const before = tf.memory().numTensors;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 100; i++) session.trainStep();
      await session.readLosses();
    }
    expect(tf.memory().numTensors).toBe(before);
    session.dispose();
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const session = new TrainingSession(regression(), regressionBatches);
      for (let i = 0; i < 25; i++) session.trainStep();
      const total = (await session.readLosses()).objectives.main!.total;
      session.dispose();
      return total;
    };
    expect(await run()).toBe(await run());
  });

  it('reports a loss that is no longer finite', async () => {
    const session = new TrainingSession(regression({ type: 'sgd', learningRate: 10 }), regressionBatches);
    for (let i = 0; i < 60; i++) session.trainStep();
    const report = await session.readLosses();
    expect(nonFinite(report)).toMatchObject({ objective: 'main' });
    session.dispose();
  });

  it('updates only the variables an objective names, alternating objectives by share', async () => {
    const doc = zGraphDocument.parse({
      ...makeDocument(
        [
          { id: 'x', kind: 'Input', params: { shape: [2] } },
          { id: 'y', kind: 'Input', params: { shape: [1] } },
          { id: 'first', kind: 'Dense', params: { units: 2 } },
          { id: 'second', kind: 'Dense', params: { units: 1 } },
          { id: 'a', kind: 'ReconstructionLoss', params: { loss: 'mse', objective: 'A' } },
          { id: 'b', kind: 'ReconstructionLoss', params: { loss: 'mse', objective: 'B' } },
        ],
        ['x.x->first.x', 'first.y->second.x', 'second.y->a.prediction', 'y.x->a.target', 'second.y->b.prediction', 'y.x->b.target'],
      ),
      training: { batchSize: 8, objectives: [{ id: 'A', updates: ['first'], share: 2 }, { id: 'B', updates: ['second'] }] },
    });
    const compiled = compile(doc);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const session = new TrainingSession(compiled.program, regressionBatches);
    const snapshot = async (key: string) => Array.from(await session.variables.get(key)!.data());
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const objective = session.nextObjective!.id;
      order.push(objective);
      const first = await snapshot('first/kernel');
      const second = await snapshot('second/kernel');
      session.trainStep();
      const [changed, kept] = objective === 'A' ? ['first', 'second'] : ['second', 'first'];
      expect(await snapshot(`${changed}/kernel`)).not.toEqual(changed === 'first' ? first : second);
      expect(await snapshot(`${kept}/kernel`)).toEqual(kept === 'first' ? first : second);
    }
    expect(order).toEqual(['A', 'A', 'B', 'A', 'A', 'B']);
    session.dispose();
  });
});
