/**
 * Names that are also members of Object.prototype (`__proto__`,
 * `constructor`, `toString`, ...) behave like any other name in training:
 * losses, the NaN guard, feeds and their disposal.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { heldOutLosses } from '../../src/core/train/family-eval.ts';
import { runTraining } from '../../src/core/train/loop.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { nonFinite, TrainingSession } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';

const noAssets = async () => {
  throw new Error('no assets in this test');
};

/** Toy data through a Dense layer back onto itself, with the given ids. */
function toyProgram(ids: { data: string; fit: string; loss: string; objective: string }, learningRate = 0.01) {
  const doc = makeDocument(
    [
      { id: ids.data, kind: 'Data', params: { dataset: 'eight-gaussians' } },
      { id: ids.fit, kind: 'Dense', params: { units: 2 } },
      { id: ids.loss, kind: 'ReconstructionLoss', params: { loss: 'mse', objective: ids.objective } },
    ],
    [`${ids.data}.x->${ids.fit}.x`, `${ids.fit}.y->${ids.loss}.prediction`, `${ids.data}.x->${ids.loss}.target`],
  );
  const training = { batchSize: 16, seed: 3, objectives: [{ id: ids.objective, optimizer: { type: 'sgd', learningRate } }] };
  const compiled = compile(zGraphDocument.parse({ ...doc, training }));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

const plain = { data: 'data', fit: 'fit', loss: 'loss', objective: 'main' };

describe('names that Object.prototype also has', () => {
  for (const name of ['__proto__', 'constructor', 'toString']) {
    it(`an objective "${name}" whose loss becomes NaN stops the run with GC206`, async () => {
      const program = toyProgram({ ...plain, objective: name }, 10);
      const session = new TrainingSession(program, streamBatches(await openProgramData(program, noAssets)));
      const state = await runTraining(session, { totalSteps: 200, logEvery: 20, onEvent: () => {} });
      expect(state.status).toBe('failed');
      if (state.status === 'failed') {
        expect(state.diagnostic.code).toBe('GC206');
        expect(state.diagnostic.message).toContain(`"${name}"`);
      }
      session.dispose();
    });

    it(`a Data node, a loss node and an objective named "${name}" train, report and free like plain names`, async () => {
      const run = async (ids: typeof plain) => {
        const program = toyProgram(ids);
        const sources = await openProgramData(program, noAssets);
        const session = new TrainingSession(program, streamBatches(sources));
        session.trainStep();
        await session.readLosses();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 5; i++) session.trainStep();
        const report = await session.readLosses();
        // One step's batch is freed by the step: nothing piles up.
        expect(tf.memory().numTensors).toBe(before);
        const heldOut = await heldOutLosses(session, (op, start, count) => sources.get(op.id)!.validationBatch(start, count), 32);
        expect(tf.memory().numTensors).toBe(before);
        session.dispose();
        return { report, heldOut };
      };
      const expected = await run(plain);
      const lossName = new Map([['__proto__', 'constructor'], ['constructor', 'toString'], ['toString', 'valueOf']]).get(name)!;
      const named = await run({ data: name, fit: 'hasOwnProperty', loss: lossName, objective: name });
      expect(Object.keys(named.report.objectives)).toEqual([name]);
      const got = named.report.objectives[name]!;
      const want = expected.report.objectives.main!;
      expect(got.total).toBeCloseTo(want.total, 6);
      expect(got.steps).toBe(5);
      expect(Object.keys(got.losses)).toEqual([lossName]);
      expect(got.losses[lossName]).toBeCloseTo(want.losses.loss!, 6);
      expect(Object.keys(named.heldOut)).toEqual([name]);
      expect(named.heldOut[name]!.total).toBeCloseTo(expected.heldOut.main!.total, 6);
      expect(Object.keys(named.heldOut[name]!.losses)).toEqual([lossName]);
      // The report goes to metrics.jsonl and to the app as JSON: the names survive.
      const json = JSON.parse(JSON.stringify(named.report)) as typeof named.report;
      expect(Object.keys(json.objectives)).toEqual([name]);
      expect(Object.keys(json.objectives[name]!.losses)).toEqual([lossName]);
      expect(nonFinite(named.report)).toBeUndefined();
    });
  }

  it('nonFinite names an objective called __proto__', () => {
    const objectives = JSON.parse('{"__proto__": {"total": NaN}}'.replace('NaN', '1e999')) as Record<string, { total: number; losses: Record<string, number>; steps: number }>;
    expect(nonFinite({ step: 3, objectives })).toEqual({ objective: '__proto__', value: Infinity });
  });
});
