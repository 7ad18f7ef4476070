/** Graphs that are none of the five families compile, train and sample through the same path. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { zGraphDocument, type GraphDocument } from '../../src/core/graph/schema.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';

function programOf(doc: GraphDocument): Program {
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

async function trainAndTrack(program: Program, steps: number, batchSize: number) {
  const sources = await openProgramData(program, readPublicAsset);
  const session = new TrainingSession(program, streamBatches(sources), batchSize);
  const totals: number[] = [];
  for (let i = 0; i < steps; i++) {
    session.trainStep();
    totals.push((await session.readLosses()).objectives.main!.total);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { session, sources, first: mean(totals.slice(0, 5)), last: mean(totals.slice(-5)) };
}

describe('graphs beyond the presets', () => {
  // Convolutions train far faster on wasm than on the reference cpu backend.
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  it('the MNIST classifier trains', async () => {
    const loaded = loadText(readFileSync('graph-presets/mnist-classifier.json', 'utf8'));
    if (!loaded.ok) throw new Error('classifier does not load');
    const { session, first, last } = await trainAndTrack(programOf(loaded.document), 30, 32);
    expect(last).toBeLessThan(first * 0.8);
    session.dispose();
  });

  it('a conditional VAE trains, and its prior sampler decodes noise under given labels', async () => {
    const doc = zGraphDocument.parse({
      ...makeDocument(
        [
          { id: 'data', kind: 'Data', params: { dataset: 'mnist' } },
          { id: 'label', kind: 'Embedding', params: { vocabSize: 10, dim: 8 } },
          { id: 'withLabel', kind: 'Concat' },
          { id: 'encoder', kind: 'Encoder', params: { hidden: [64], latent: 4 } },
          { id: 'rep', kind: 'Reparameterize' },
          { id: 'zWithLabel', kind: 'Concat' },
          { id: 'decoder', kind: 'Decoder', params: { hidden: [64], outputShape: [784] } },
          { id: 'rec', kind: 'ReconstructionLoss' },
          { id: 'kl', kind: 'KLDivergence' },
          { id: 'sampler', kind: 'PriorSampler', params: { count: 10, transform: 'sigmoid' } },
        ],
        [
          'data.y->label.tokens', 'data.x->withLabel.a', 'label.y->withLabel.b', 'withLabel.y->encoder.x',
          'encoder.mu->rep.mu', 'encoder.logvar->rep.logvar', 'rep.z->zWithLabel.a', 'label.y->zWithLabel.b',
          'zWithLabel.y->decoder.z', 'decoder.x->rec.prediction', 'data.x->rec.target',
          'encoder.mu->kl.mu', 'encoder.logvar->kl.logvar', 'rep.z->sampler.latent', 'decoder.x->sampler.output',
        ],
      ),
      training: { batchSize: 32, objectives: [{ id: 'main', optimizer: { learningRate: 2e-3 } }] },
    });
    const program = programOf(doc);
    const plan = program.samplers[0]!;
    expect(plan.kind).toBe('prior');
    const { session, first, last } = await trainAndTrack(program, 30, 32);
    expect(last).toBeLessThan(first * 0.8);
    // The sampler needs labels: one of each digit.
    const result = await runSampler(session, plan, { feedsFor: () => ({ x: tf.zeros([10, 784]), y: tf.range(0, 10, 1, 'int32') }) });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    expect(result.tensor.shape).toEqual([10, 784]);
    result.tensor.dispose();
    session.dispose();
  });
});
