/**
 * The importance-weighted bound of a VAE against the log-likelihood computed
 * another way: a one-dimensional latent, so −log p(x) = −log ∫ p(x | z)
 * N(z; 0, 1) dz can be summed on a grid (the decoder run on 8,001 values of
 * z). The bound must sit above it, fall towards it as K grows, and at K = 1
 * be the negative ELBO that the loss nodes compute.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { runOps } from '../../src/core/compiler/forward.ts';
import { compile, opsFor, type Program } from '../../src/core/compiler/program.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { heldOutLosses, importanceWeightedBound, type HeldOutFeed } from '../../src/core/train/family-eval.ts';
import { latentVariableModel } from '../../src/core/train/roles.ts';
import { TrainingSession, type BatchProvider } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';

/** Two binary pixels, mostly equal: a latent helps. */
const PATTERNS = [[0, 0], [1, 1], [1, 0], [0, 1]];
const patternAt = (i: number) => PATTERNS[i % 4]!;

let program: Program;
let session: TrainingSession;

beforeAll(() => {
  const doc = makeDocument(
    [
      { id: 'x', kind: 'Input', params: { shape: [2] } },
      { id: 'mu', kind: 'Dense', params: { units: 1 } },
      { id: 'logvar', kind: 'Dense', params: { units: 1 } },
      { id: 'reparameterize', kind: 'Reparameterize', params: {} },
      { id: 'decoder', kind: 'Dense', params: { units: 2 } },
      { id: 'reconstruction', kind: 'ReconstructionLoss', params: { loss: 'bce', fromLogits: true, reduction: 'sum' } },
      { id: 'kl', kind: 'KLDivergence', params: {} },
    ],
    ['x.x->mu.x', 'x.x->logvar.x', 'mu.y->reparameterize.mu', 'logvar.y->reparameterize.logvar', 'reparameterize.z->decoder.x', 'decoder.y->reconstruction.prediction', 'x.x->reconstruction.target', 'mu.y->kl.mu', 'logvar.y->kl.logvar'],
  );
  const compiled = compile(zGraphDocument.parse({ ...doc, training: { batchSize: 64, seed: 3, objectives: [{ id: 'main', optimizer: { type: 'adam', learningRate: 0.05 } }] } }));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  program = compiled.program;
  const rng = new Rng(9);
  // 45% each of 00 and 11, 5% each of 10 and 01.
  const draw = () => {
    const u = rng.uniform();
    return u < 0.45 ? PATTERNS[0]! : u < 0.9 ? PATTERNS[1]! : u < 0.95 ? PATTERNS[2]! : PATTERNS[3]!;
  };
  const batches: BatchProvider = (_op, _step, batchSize) => ({ x: tf.tensor2d(Array.from({ length: batchSize }, draw)) });
  session = new TrainingSession(program, batches);
  for (let i = 0; i < 300; i++) session.trainStep();
});

const feed: HeldOutFeed = (_op, start, count) => ({ x: tf.tensor2d(Array.from({ length: count }, (_, i) => patternAt(start + i))) });

/** −log p(x) of each pattern, by summing the decoder over a grid of z. */
function gridNll(): number[] {
  const model = latentVariableModel(program)!;
  const grid = Array.from({ length: 8001 }, (_, i) => -10 + i * 0.0025);
  return tf.tidy(() => {
    const ops = opsFor(program.analysis, program.producers, [model.prediction], new Set([model.z]));
    const values = runOps(ops, program.analysis, { variables: session.variables, feeds: {}, batchSize: grid.length, training: false, random: createRandom(0) }, new Map([[model.z, tf.tensor2d(grid, [grid.length, 1])]]));
    const logits = values.get(model.prediction)!;
    const logPrior = tf.tensor1d(grid.map((z) => -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) + Math.log(0.0025)));
    return PATTERNS.map((pattern) => {
      // log σ(l) for a 1, log σ(−l) for a 0.
      const signs = tf.tensor1d(pattern.map((v) => (v === 1 ? 1 : -1)));
      const logLikelihood = tf.sum(tf.logSigmoid(tf.mul(logits, signs)), 1);
      return -tf.logSumExp(tf.add(logLikelihood, logPrior)).dataSync()[0]!;
    });
  });
}

describe('the importance-weighted bound', () => {
  it('finds the VAE in the graph: the KL\'s mu and logvar, the Reparameterize that reads them, the decoder after it', () => {
    const model = latentVariableModel(program)!;
    expect(model).toMatchObject({ objective: 'main', fromLogits: true, z: program.analysis.nodes.get('reparameterize')!.outputKeys.z });
  });

  it('bounds −log p(x) from above and tightens towards it as K grows; K = 1 is the negative ELBO', async () => {
    const nll = gridNll();
    const mean = nll.reduce((a, b) => a + b, 0) / 4;
    // 4 examples, each pattern once: the bound's mean is the grid's mean.
    const iwae5000 = (await importanceWeightedBound(session, feed, 4, 5000))!;
    const iwae100 = (await importanceWeightedBound(session, feed, 400, 100))!;
    const iwae1 = (await importanceWeightedBound(session, feed, 20000, 1))!;
    const elbo = (await heldOutLosses(session, feed, 20000)).main!.total;
    expect(iwae5000).toBeGreaterThanOrEqual(mean - 0.002);
    expect(iwae5000 - mean).toBeLessThan(0.01);
    expect(iwae100).toBeGreaterThanOrEqual(iwae5000 - 0.01);
    expect(iwae1).toBeGreaterThan(iwae100);
    // The same quantity by the loss nodes, with other draws: equal within Monte Carlo error.
    expect(Math.abs(iwae1 - elbo)).toBeLessThan(0.015);
    // The posterior is not exact, so the ELBO's gap is real and the bound closes it.
    expect(elbo - mean).toBeGreaterThan(0.02);
  });

  it('is undefined for a graph without a VAE', async () => {
    const doc = makeDocument([{ id: 'x', kind: 'Input', params: { shape: [2] } }, { id: 'fit', kind: 'Dense', params: { units: 2 } }, { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'bce', fromLogits: true } }], ['x.x->fit.x', 'fit.y->loss.prediction', 'x.x->loss.target']);
    const compiled = compile(zGraphDocument.parse({ ...doc, training: { batchSize: 4, objectives: [{ id: 'main' }] } }));
    if (!compiled.ok) throw new Error('does not compile');
    expect(latentVariableModel(compiled.program)).toBeUndefined();
  });
});
