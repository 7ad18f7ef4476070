import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CheckpointError, parseManifest, restoreCheckpoint, saveCheckpoint } from '../../src/core/train/checkpoint.ts';
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
});
