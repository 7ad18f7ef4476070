/**
 * validate ≡ train: for graphs composed at random from the catalogue, a graph
 * that validates (the analysis and the compiler report no error) trains a
 * few steps, gives validation losses and runs every sampler it has, without
 * an error and without leaving tensors behind.
 *
 * The graphs are the presets with their sizes changed at random (widths,
 * latents, heads, schedule lengths: many such changes break shapes and are
 * refused, which is the point: what validate lets through must run), and
 * autoencoders, VAEs and classifiers assembled from layers.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { zGraphDocument, type GraphDocument } from '../../src/core/graph/schema.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { validationLosses } from '../../src/core/train/family-eval.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';

const PRESETS = ['vae', 'gan-2d', 'diffusion-2d', 'flow', 'transformer', 'seq2seq', 'latent-diffusion'].map((name) => {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.document;
});

/** Scales one numeric param of some nodes (arrays element-wise): a size change the graph may or may not absorb. */
function resized(doc: GraphDocument, picks: readonly { node: number; factor: number }[]): GraphDocument {
  const copy = structuredClone(doc);
  const scopes = [copy.nodes, ...copy.modules.map((m) => m.nodes)].flat();
  for (const { node, factor } of picks) {
    const target = scopes[node % scopes.length]!;
    const keys = Object.keys(target.params).filter((k) => typeof target.params[k] === 'number' || (Array.isArray(target.params[k]) && (target.params[k] as unknown[]).every((v) => typeof v === 'number')));
    const key = keys[node % Math.max(1, keys.length)];
    if (key === undefined) continue;
    const scale = (v: number) => (Number.isInteger(v) ? Math.max(1, Math.round(v * factor)) : v * factor);
    const value = target.params[key] as number | number[];
    target.params[key] = Array.isArray(value) ? value.map(scale) : scale(value);
  }
  return copy;
}

/** An autoencoder, a VAE or a classifier on two moons or MNIST, from layers. */
function assembled(kind: 'ae' | 'vae' | 'classifier', mnist: boolean, width: number, code: number, activation: string, norm: boolean): GraphDocument {
  const dim = mnist ? 784 : 2;
  const data = { id: 'data', kind: 'Data', params: { dataset: mnist ? 'mnist' : 'two-moons' } };
  const training = { batchSize: 8, objectives: [{ id: 'main', optimizer: { learningRate: 1e-3 } }] };
  if (kind === 'vae') {
    return zGraphDocument.parse({
      ...makeDocument(
        [
          data,
          { id: 'encoder', kind: 'Encoder', params: { hidden: [width], latent: code } },
          { id: 'rep', kind: 'Reparameterize' },
          { id: 'decoder', kind: 'Decoder', params: { hidden: [width], outputShape: [dim] } },
          { id: 'rec', kind: 'ReconstructionLoss' },
          { id: 'kl', kind: 'KLDivergence' },
          { id: 'sampler', kind: 'PriorSampler', params: { count: 4 } },
        ],
        ['data.x->encoder.x', 'encoder.mu->rep.mu', 'encoder.logvar->rep.logvar', 'rep.z->decoder.z', 'decoder.x->rec.prediction', 'data.x->rec.target', 'encoder.mu->kl.mu', 'encoder.logvar->kl.logvar', 'rep.z->sampler.latent', 'decoder.x->sampler.output'],
      ),
      training,
    });
  }
  const body = [
    { id: 'in', kind: 'Dense', params: { units: width } },
    { id: 'act', kind: 'Activation', params: { fn: activation } },
    ...(norm ? [{ id: 'norm', kind: 'LayerNorm' }] : []),
    { id: 'code', kind: 'Dense', params: { units: kind === 'classifier' ? 10 : code } },
  ];
  const chain = ['data.x->in.x', 'in.y->act.x', norm ? 'act.y->norm.x' : '', `${norm ? 'norm' : 'act'}.y->code.x`].filter(Boolean);
  if (kind === 'classifier') {
    return zGraphDocument.parse({
      ...makeDocument([{ ...data, params: { dataset: 'mnist' } }, ...body, { id: 'loss', kind: 'ClassificationLoss' }], [...chain, 'code.y->loss.logits', 'data.y->loss.labels']),
      training,
    });
  }
  return zGraphDocument.parse({
    ...makeDocument(
      [...body, data, { id: 'out', kind: 'Dense', params: { units: dim } }, { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse' } }, { id: 'sampler', kind: 'PriorSampler', params: { count: 4 } }],
      [...chain, 'code.y->out.x', 'out.y->rec.prediction', 'data.x->rec.target', 'code.y->sampler.latent', 'out.y->sampler.output'],
    ),
    training,
  });
}

const graphs = fc.oneof(
  fc
    .record({
      preset: fc.nat(PRESETS.length - 1),
      picks: fc.array(fc.record({ node: fc.nat(200), factor: fc.constantFrom(0.5, 2, 3) }), { minLength: 1, maxLength: 3 }),
    })
    .map(({ preset, picks }) => {
      const doc = resized(PRESETS[preset]!, picks);
      return { ...doc, training: { ...doc.training, batchSize: 8 } };
    }),
  fc
    .record({
      kind: fc.constantFrom('ae' as const, 'vae' as const, 'classifier' as const),
      mnist: fc.boolean(),
      width: fc.constantFrom(4, 16, 48),
      code: fc.constantFrom(1, 2, 8),
      activation: fc.constantFrom('relu', 'tanh', 'gelu', 'sigmoid'),
      norm: fc.boolean(),
    })
    .map(({ kind, mnist, width, code, activation, norm }) => assembled(kind, mnist, width, code, activation, norm)),
);

describe('validate ≡ train', () => {
  beforeAll(async () => {
    await initNodeBackend('cpu');
  });

  it('a random graph that validates trains, gives held-out losses and samples', { timeout: 300_000 }, async () => {
    let valid = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(graphs, async (doc) => {
        const compiled = compile(doc, analyze(doc));
        if (!compiled.ok || compiled.diagnostics.some((d) => d.severity === 'error')) {
          refused += 1;
          return;
        }
        valid += 1;
        const program = compiled.program;
        const before = tf.memory().numTensors;
        const sources = await openProgramData(program, readPublicAsset);
        const session = new TrainingSession(program, streamBatches(sources));
        try {
          if (program.objectives.length > 0) {
            for (let i = 0; i < 3; i++) session.trainStep();
            await session.readLosses();
            await validationLosses(session, sources, 16);
          }
          for (const plan of program.samplers) {
            const result = await runSampler(session, plan, { count: 4, feedsFor: (op, count) => sources.get(op.id)!.validationBatch(0, count) });
            if (result.kind === 'tensor') result.tensor.dispose();
          }
        } finally {
          session.dispose();
        }
        expect(tf.memory().numTensors).toBe(before);
      }),
      // COMPOSITION_SEED=N explores other compositions (seeds 1 to 13 found GC116 and GC117's cases).
      { numRuns: 60, seed: Number(process.env.COMPOSITION_SEED ?? 11) },
    );
    // Both sides are exercised: some compositions run, some are refused by validate.
    expect(valid).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(0);
  });
});
