/** A quantizer's code usage: its perplexity reported beside the losses while training, and counted over held-out data by its role. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../helpers.ts';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { codeUsage, type HeldOutFeed } from '../../src/core/train/family-eval.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { quantizers } from '../../src/core/train/roles.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { reduceTrainingEvent, initialTrainingView } from '../../src/ui/training/training-store.ts';
import { makeDocument } from '../helpers.ts';

/** Two-moons points quantized with 6 codes of their own (z = x), reconstructed by a Dense from the codes. */
function program(): Program {
  const compiled = compile(
    makeDocument(
      [
        { id: 'data', kind: 'Data', params: { dataset: 'two-moons' } },
        { id: 'vq', kind: 'VectorQuantizer', params: { codes: 6 } },
        { id: 'out', kind: 'Dense', params: { units: 2 } },
        { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      ],
      ['data.x->vq.z', 'vq.y->out.x', 'out.y->rec.prediction', 'data.x->rec.target'],
      { training: { batchSize: 32, seed: 0, steps: 3, objectives: [], data: { shuffle: true, validationSplit: 0.1 }, memoryBudgetMB: 4096 } } as never,
    ),
  );
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

describe('code usage', () => {
  it('is the role of kinds that declare codes', () => {
    const found = quantizers(program());
    expect(found.map((q) => [q.op.id, q.count])).toEqual([['vq', 6]]);
  });

  it('training reports the batch perplexity beside the losses, not in them; the panel charts it apart', async () => {
    const p = program();
    expect(p.objectives[0]!.metrics.map((m) => m.name)).toEqual(['vq.perplexity']);
    const sources = await openProgramData(p, readPublicAsset);
    const session = new TrainingSession(p, streamBatches(sources));
    session.trainStep();
    session.trainStep();
    const report = await session.readLosses();
    const main = report.objectives.main!;
    expect(Object.keys(main.losses).sort()).toEqual(['rec', 'vq']);
    expect(main.total).toBeCloseTo(main.losses.rec! + main.losses.vq!, 5);
    const perplexity = main.metrics!['vq.perplexity']!;
    expect(perplexity).toBeGreaterThanOrEqual(1);
    expect(perplexity).toBeLessThanOrEqual(6);
    // Read and reset: nothing more until the next steps.
    expect((await session.readLosses()).objectives.main).toBeUndefined();

    const view = reduceTrainingEvent(initialTrainingView, { type: 'losses', step: 2, objectives: { main: { total: main.total, losses: main.losses, metrics: main.metrics! } }, stepsPerSecond: 1, elapsedSeconds: 1 });
    expect(view.losses.names).toEqual(['main', 'main · vq', 'main · rec']);
    expect(view.watched.names).toEqual(['vq.perplexity']);
    session.dispose();
  });

  it('counts the codes of every held-out example: used codes and the perplexity of their frequencies', async () => {
    const p = program();
    const sources = await openProgramData(p, readPublicAsset);
    const session = new TrainingSession(p, streamBatches(sources));
    // Code 0 at x = −10, code 1 at x = +10, the rest far off: a point takes code 0 exactly when its x is negative.
    session.variables.get('vq/codebook')!.assign(tf.tensor2d([-10, 0, 10, 0, 100, 100, 100, 100, 100, 100, 100, 100], [6, 2]));
    const source = sources.get('data')!;
    const feed: HeldOutFeed = (_op, start, count) => source.validationBatch(start, count);
    const size = 200;
    const usage = await codeUsage(session, feed, size);
    const batch = source.validationBatch(0, size);
    const xs = await batch.x!.data();
    tf.dispose(Object.values(batch));
    let negative = 0;
    for (let i = 0; i < size; i++) if (xs[2 * i]! < 0) negative += 1;
    const q = negative / size;
    expect(q).toBeGreaterThan(0.2);
    expect(q).toBeLessThan(0.8);
    expect(usage!.vq!.codes).toBe(6);
    expect(usage!.vq!.used).toBe(2);
    expect(usage!.vq!.perplexity).toBeCloseTo(Math.exp(-(q * Math.log(q) + (1 - q) * Math.log(1 - q))), 6);
    session.dispose();
  });
});
