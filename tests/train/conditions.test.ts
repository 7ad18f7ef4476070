/**
 * Samplers with class conditions, classifier-free guidance, and chains of
 * nodes after a sampler (a decoder after a latent sampler), on small graphs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { conditionLabels, parseConditionChoice } from '../../src/core/nodes/sampler-condition.ts';
import { columnsForLabelRuns } from '../../src/core/render/samples.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { concrete } from '../../src/core/base/shape.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession, type BatchProvider } from '../../src/core/train/session.ts';
import { makeDocument, type NodeSketch } from '../documents.ts';

function compiled(doc: GraphDocument): Program {
  const result = compile(doc);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.node ?? ''}: ${d.message}`).join('\n'));
  return result.program;
}

function problems(doc: GraphDocument): string[] {
  const result = compile(doc);
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.node ?? ''}: ${d.message}`);
}

/** Batches of the right shapes: uniform floats and digit labels 0..9. */
function batchesFor(program: Program): BatchProvider {
  return (op, step, batchSize) => {
    const random = createRandom(step + 1);
    const out: Record<string, tf.Tensor> = {};
    for (const [port, key] of Object.entries(op.outputs)) {
      const value = program.analysis.values.get(key)!;
      const shape = concrete(value.shape, batchSize);
      out[port] = value.type === 'tokens' ? random.integers(shape, 10) : random.uniform(shape);
    }
    return out;
  };
}

function session(doc: GraphDocument): TrainingSession {
  const program = compiled(doc);
  return new TrainingSession(program, batchesFor(program), 8);
}

/** A conditional generator: noise and a label embedding, concatenated, through a dense layer. */
function conditionalGenerator(sampler: Record<string, unknown> = {}, extra: NodeSketch[] = [], edges: string[] = []): GraphDocument {
  return makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'mnist', layout: 'flat' } },
      { id: 'noise', kind: 'Noise', params: { shape: [4] } },
      { id: 'label', kind: 'Embedding', params: { vocabSize: 10, dim: 4 } },
      { id: 'cat', kind: 'Concat', params: {} },
      { id: 'gen', kind: 'Dense', params: { units: 784 } },
      { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      { id: 'prior', kind: 'PriorSampler', params: { count: 10, ...sampler } },
      ...extra,
    ],
    ['data.y->label.tokens', 'noise.z->cat.a', 'label.y->cat.b', 'cat.y->gen.x', 'gen.y->loss.prediction', 'data.x->loss.target', 'noise.z->prior.latent', 'gen.y->prior.output', 'data.y->prior.condition', ...edges],
  );
}

async function tensorOf(result: Awaited<ReturnType<typeof runSampler>>): Promise<{ shape: number[]; values: Float32Array }> {
  if (result.kind !== 'tensor') throw new Error('expected a tensor');
  const values = (await result.tensor.data()) as Float32Array;
  const shape = result.tensor.shape;
  result.tensor.dispose();
  return { shape, values };
}

describe('conditions', () => {
  it('labels come in equal runs: a row of a 10 × 10 grid per class', () => {
    expect(conditionLabels({ kind: 'each-class' }, 10, 20)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    expect(conditionLabels({ kind: 'values', values: [7] }, 10, 3)).toEqual([7, 7, 7]);
    expect(conditionLabels({ kind: 'values', values: [1, 2] }, 10, 5)).toEqual([1, 1, 1, 2, 2]);
    expect(conditionLabels({ kind: 'held-out' }, 10, 5)).toBeUndefined();
    expect(parseConditionChoice('3,4')).toEqual({ kind: 'values', values: [3, 4] });
    expect(parseConditionChoice('held-out')).toEqual({ kind: 'held-out' });
    expect(parseConditionChoice('three')).toBeUndefined();
    // A row per class when the labels come in equal runs; no rows to speak of otherwise.
    expect(columnsForLabelRuns([0, 0, 0, 1, 1, 1])).toBe(3);
    expect(columnsForLabelRuns([0, 0, 1, 1, 1, 2])).toBeUndefined();
    expect(columnsForLabelRuns([0, 1, 2])).toBeUndefined();
    expect(columnsForLabelRuns([4, 4])).toBeUndefined();
  });

  it('a prior sampler decodes with the labels chosen: each row equals a run of its own label', async () => {
    const s = session(conditionalGenerator());
    s.trainStep();
    const plan = s.program.samplers[0]!;
    expect(plan.condition).toMatchObject({ key: 'data:y', classes: 10 });
    const each = await runSampler(s, plan, { count: 10, seed: 5 });
    expect(each.labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const grid = await tensorOf(each);
    for (const label of [3, 8]) {
      const only = await tensorOf(await runSampler(s, plan, { count: 10, seed: 5, condition: { kind: 'values', values: [label] } }));
      // The same seed draws the same noise, so row `label` of the grid is row `label` of this run.
      const row = (v: Float32Array) => Array.from(v.subarray(label * 784, (label + 1) * 784));
      expect(row(only.values)).toEqual(row(grid.values));
      expect(Array.from(only.values.subarray(0, 784))).not.toEqual(Array.from(grid.values.subarray(0, 784)));
    }
    s.dispose();
  });

  it('held-out labels come from the data the caller feeds', async () => {
    const s = session(conditionalGenerator({ condition: 'held-out' }));
    const plan = s.program.samplers[0]!;
    const labels = [4, 4, 1, 0, 9];
    const result = await runSampler(s, plan, { count: 5, feedsFor: () => ({ x: tf.zeros([5, 784]), y: tf.tensor1d(labels, 'int32') }) });
    expect(result.labels).toEqual(labels);
    if (result.kind === 'tensor') result.tensor.dispose();
    s.dispose();
  });

  it('validate refuses labels the condition cannot take, before training', () => {
    expect(problems(conditionalGenerator({ condition: 'values', conditionValues: [12] }))).toEqual([expect.stringMatching(/GC205 prior: .*label 12 is not a class of its condition \(0 to 9\)/)]);
    expect(problems(conditionalGenerator({ condition: 'values', conditionValues: [] }))).toEqual([expect.stringMatching(/GC205 prior: .*needs at least one label/)]);
  });
});

/** A small diffusion model on flat MNIST whose denoiser reads the digit label through ConditionDropout. */
function guidedDiffusion(ddim: Record<string, unknown>, options: { dropout?: boolean; vocab?: number } = {}): GraphDocument {
  const dropout = options.dropout ?? true;
  return makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'mnist', layout: 'flat', range: 'signed' } },
      { id: 'schedule', kind: 'NoiseSchedule', params: { steps: 10 } },
      { id: 'diffuse', kind: 'Diffuse', params: {} },
      { id: 'time', kind: 'TimeEmbedding', params: { dim: 8, hidden: 16 } },
      ...(dropout ? [{ id: 'drop', kind: 'ConditionDropout', params: { rate: 0.2, nullLabel: 10 } }] : []),
      { id: 'label', kind: 'Embedding', params: { vocabSize: options.vocab ?? 11, dim: 8 } },
      { id: 'cat1', kind: 'Concat', params: {} },
      { id: 'cat2', kind: 'Concat', params: {} },
      { id: 'den', kind: 'Dense', params: { units: 784 } },
      { id: 'loss', kind: 'DiffusionLoss', params: {} },
      { id: 'ddim', kind: 'DDIMSampler', params: { count: 4, steps: 1, ...ddim } },
    ],
    [
      'data.x->diffuse.x0',
      'schedule.schedule->diffuse.schedule',
      'diffuse.t->time.t',
      ...(dropout ? ['data.y->drop.labels', 'drop.labels->label.tokens'] : ['data.y->label.tokens']),
      'diffuse.xt->cat1.a',
      'time.emb->cat1.b',
      'cat1.y->cat2.a',
      'label.y->cat2.b',
      'cat2.y->den.x',
      'den.y->loss.prediction',
      'diffuse.noise->loss.noise',
      'den.y->ddim.prediction',
      'schedule.schedule->ddim.schedule',
      'data.y->ddim.condition',
    ],
  );
}

describe('classifier-free guidance', () => {
  it('finds the null label where ConditionDropout trains it, and the classes before it', () => {
    const plan = compiled(guidedDiffusion({ guidance: 2 })).samplers[0]!;
    expect(plan.condition).toMatchObject({ key: 'data:y', classes: 10, nullLabel: 10 });
  });

  it('guided eps is (1 + w) eps(class) − w eps(null): one DDIM step is affine in eps, so the samples are too', async () => {
    const w = 2.5;
    const s = session(guidedDiffusion({ guidance: w }));
    for (let i = 0; i < 3; i++) s.trainStep();
    const plan = s.program.samplers[0]!;
    const labels = { kind: 'values', values: [3] } as const;
    const guided = await tensorOf(await runSampler(s, plan, { seed: 9, condition: labels }));
    const unguidedPlan = { ...plan, op: { ...plan.op, params: { ...(plan.op.params as object), guidance: 0 } } };
    const conditional = await tensorOf(await runSampler(s, unguidedPlan, { seed: 9, condition: labels }));
    const unconditional = await tensorOf(await runSampler(s, unguidedPlan, { seed: 9, condition: { kind: 'values', values: [10] } }));
    expect(guided.shape).toEqual([4, 784]);
    let worst = 0;
    guided.values.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - ((1 + w) * conditional.values[i]! - w * unconditional.values[i]!)))));
    expect(worst).toBeLessThan(1e-4);
    // And the guidance changes the samples.
    expect(Math.max(...guided.values.map((g, i) => Math.abs(g - conditional.values[i]!)))).toBeGreaterThan(1e-3);
    s.dispose();
  });

  it('validate refuses guidance without a null condition, and a null label the embedding cannot hold', () => {
    expect(problems(guidedDiffusion({ guidance: 1 }, { dropout: false, vocab: 10 }))).toEqual([expect.stringMatching(/GC205 ddim: .*put a ConditionDropout/)]);
    expect(problems(guidedDiffusion({ guidance: 1 }, { vocab: 10 }))).toEqual([expect.stringMatching(/GC116 label: .*run up to 10/)]);
    const unconnected = guidedDiffusion({});
    unconnected.edges = unconnected.edges.filter((e) => e.target.port !== 'condition');
    expect(problems(unconnected)).toEqual([expect.stringMatching(/GC205 ddim: .*connect class labels it reads to the condition input/)]);
  });
});

/** A VAE whose decoder is a module, and a DDIM sampler over its latent means, decoded by a second placement of the decoder. */
function latentDiffusion(after: 'decoder' | 'fresh' | 'loss' | 'two-ends'): GraphDocument {
  const tail: NodeSketch[] =
    after === 'decoder'
      ? [{ id: 'decode', kind: 'Module', params: { module: 'dec' } }]
      : after === 'fresh'
        ? [{ id: 'decode', kind: 'Dense', params: { units: 784 } }]
        : after === 'loss'
          ? [{ id: 'decode', kind: 'Module', params: { module: 'dec' } }, { id: 'bad', kind: 'ReconstructionLoss', params: { loss: 'mse' } }]
          : [{ id: 'decode', kind: 'Module', params: { module: 'dec' } }, { id: 'other', kind: 'Activation', params: { fn: 'tanh' } }];
  const tailEdges =
    after === 'decoder'
      ? ['ddim.samples->decode.z']
      : after === 'fresh'
        ? ['ddim.samples->decode.x']
        : after === 'loss'
          ? ['ddim.samples->decode.z', 'decode.x->bad.prediction', 'data.x->bad.target']
          : ['ddim.samples->decode.z', 'ddim.samples->other.x'];
  return makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'mnist', layout: 'flat', range: 'binary' } },
      { id: 'encoder', kind: 'Encoder', params: { hidden: [16], latent: 4 } },
      { id: 'rep', kind: 'Reparameterize', params: {} },
      { id: 'reconstruct', kind: 'Module', params: { module: 'dec' } },
      { id: 'rec', kind: 'ReconstructionLoss', params: { objective: 'vae' } },
      { id: 'kl', kind: 'KLDivergence', params: { objective: 'vae' } },
      { id: 'schedule', kind: 'NoiseSchedule', params: { steps: 10 } },
      { id: 'diffuse', kind: 'Diffuse', params: {} },
      { id: 'time', kind: 'TimeEmbedding', params: { dim: 8, hidden: 16 } },
      { id: 'cat', kind: 'Concat', params: {} },
      { id: 'den', kind: 'Dense', params: { units: 4 } },
      { id: 'dloss', kind: 'DiffusionLoss', params: { objective: 'latent' } },
      { id: 'ddim', kind: 'DDIMSampler', params: { count: 3, steps: 2 } },
      ...tail,
    ],
    [
      'data.x->encoder.x',
      'encoder.mu->rep.mu',
      'encoder.logvar->rep.logvar',
      'rep.z->reconstruct.z',
      'reconstruct.x->rec.prediction',
      'data.x->rec.target',
      'encoder.mu->kl.mu',
      'encoder.logvar->kl.logvar',
      'encoder.mu->diffuse.x0',
      'schedule.schedule->diffuse.schedule',
      'diffuse.t->time.t',
      'diffuse.xt->cat.a',
      'time.emb->cat.b',
      'cat.y->den.x',
      'den.y->dloss.prediction',
      'diffuse.noise->dloss.noise',
      'den.y->ddim.prediction',
      'schedule.schedule->ddim.schedule',
      ...tailEdges,
    ],
    {
      modules: [
        {
          id: 'dec',
          name: 'Decoder',
          description: '',
          frames: [],
          nodes: [
            { id: 'z', kind: 'ModuleInput', params: { name: 'z', shape: [4] }, position: { x: 0, y: 0 } },
            { id: 'body', kind: 'Decoder', params: { hidden: [16], outputShape: [784] }, position: { x: 200, y: 0 } },
            { id: 'x', kind: 'ModuleOutput', params: { name: 'x' }, position: { x: 400, y: 0 } },
          ],
          edges: [
            { id: 'm0', source: { node: 'z', port: 'x' }, target: { node: 'body', port: 'z' } },
            { id: 'm1', source: { node: 'body', port: 'x' }, target: { node: 'x', port: 'x' } },
          ],
        },
      ],
    },
  );
}

describe('nodes after a sampler', () => {
  it('run after it: a latent DDIM sampler decodes through the trained decoder to images', async () => {
    const s = session(latentDiffusion('decoder'));
    s.trainStep();
    const plan = s.program.samplers[0]!;
    expect(plan.after?.ops.map((op) => op.id)).toEqual(['decode/body/fc0', 'decode/body/out']);
    // Training never runs them.
    expect(s.program.objectives.flatMap((o) => o.ops).some((op) => op.id.startsWith('decode/'))).toBe(false);
    const result = await tensorOf(await runSampler(s, plan, { count: 3, seed: 2 }));
    expect(result.shape).toEqual([3, 784]);
    expect(result.values.every(Number.isFinite)).toBe(true);
    // The decoder after it is the one training updates: the same weights decode the same latent the same way.
    const steps: number[][] = [];
    await runSampler(s, plan, { count: 3, seed: 2, onStep: (_i, _n, x) => steps.push(x.shape) });
    expect(steps).toEqual([[3, 784], [3, 784]]);
    s.dispose();
  });

  it('validate refuses what could not run after a sampler', () => {
    expect(problems(latentDiffusion('fresh'))).toEqual([expect.stringMatching(/GC118 decode: .*weights that no objective trains/)]);
    expect(problems(latentDiffusion('loss'))).toEqual(expect.arrayContaining([expect.stringMatching(/GC118 bad: .*a loss cannot be computed on samples/)]));
    expect(problems(latentDiffusion('two-ends'))).toEqual([expect.stringMatching(/GC205 ddim: .*end in 2 values/)]);
  });
});

describe('samplers inside modules', () => {
  it('sample each placement, named by placement and node', async () => {
    const node = (id: string, kind: string, params: Record<string, string | number | number[]> = {}) => ({ id, kind, params, position: { x: 0, y: 0 } });
    const wire = (id: string, from: string, to: string) => {
      const [sn, sp] = from.split('.') as [string, string];
      const [tn, tp] = to.split('.') as [string, string];
      return { id, source: { node: sn, port: sp }, target: { node: tn, port: tp } };
    };
    const doc = makeDocument(
      [
        { id: 'data', kind: 'Data', params: { dataset: 'two-moons' } },
        { id: 'g1', kind: 'Module', params: { module: 'gen' } },
        { id: 'g2', kind: 'Module', params: { module: 'gen' } },
        { id: 'loss1', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
        { id: 'loss2', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      ],
      ['g1.x->loss1.prediction', 'data.x->loss1.target', 'g2.x->loss2.prediction', 'data.x->loss2.target'],
      {
        modules: [
          {
            id: 'gen',
            name: 'Generator with its sampler',
            description: '',
            frames: [],
            nodes: [node('noise', 'Noise', { shape: [4] }), node('fc', 'Dense', { units: 2 }), node('prior', 'PriorSampler', { count: 3 }), node('out', 'ModuleOutput', { name: 'x' })],
            edges: [wire('a', 'noise.z', 'fc.x'), wire('b', 'fc.y', 'out.x'), wire('c', 'noise.z', 'prior.latent'), wire('d', 'fc.y', 'prior.output')],
          },
        ],
      },
    );
    const s = session(doc);
    expect(s.program.samplers.map((p) => p.op.id)).toEqual(['g1/prior', 'g2/prior']);
    const results = await Promise.all(s.program.samplers.map((plan) => runSampler(s, plan, { seed: 1 })));
    expect(results.map((r) => r.sampler)).toEqual(['g1/prior', 'g2/prior']);
    const [a, b] = await Promise.all(results.map(tensorOf));
    // The placements share the module's weights, so the same seed gives the same samples.
    expect(a!.shape).toEqual([3, 2]);
    expect(Array.from(a!.values)).toEqual(Array.from(b!.values));
    s.dispose();
  });
});
