import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { runOps } from '../../src/core/compiler/forward.ts';
import { compile, type Program, type SamplerPlan } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { FlowPlan } from '../../src/core/nodes/flow-inverse-sampler.ts';
import type { PriorPlan } from '../../src/core/nodes/prior-sampler.ts';
import { zGraphDocument, type GraphDocument } from '../../src/core/graph/schema.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { invertFlow, runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession, type BatchProvider } from '../../src/core/train/session.ts';
import { concrete } from '../../src/core/base/shape.ts';
import { makeDocument } from '../helpers.ts';

function preset(name: string): GraphDocument {
  const result = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!result.ok) throw new Error(name);
  return result.document;
}

function program(doc: GraphDocument): Program {
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

/** Stand-in batches of the right shapes: uniform floats, tokens in [2, 28). */
const synthetic: BatchProvider = (op, step, batchSize) => {
  const random = createRandom(step + 1);
  const out: Record<string, tf.Tensor> = {};
  for (const [port, key] of Object.entries(op.outputs)) {
    const value = sessionProgram!.analysis.values.get(key)!;
    const shape = concrete(value.shape, batchSize);
    out[port] = value.type === 'tokens' ? tf.tidy(() => tf.add(random.integers(shape, 26), 2)) : random.uniform(shape);
  }
  return out;
};
let sessionProgram: Program | undefined;

function sessionFor(doc: GraphDocument, batchSize = 4) {
  sessionProgram = program(doc);
  return new TrainingSession(sessionProgram, synthetic, batchSize);
}

const planOf = (p: Program, kind: SamplerPlan['kind']) => p.samplers.find((s) => s.kind === kind)!;

describe('samplers', () => {
  it('prior: decodes noise through the VAE decoder, with the sigmoid', async () => {
    const session = sessionFor(preset('vae'));
    session.trainStep();
    const result = await runSampler(session, planOf(session.program, 'prior'), { count: 5 });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    expect(result.tensor.shape).toEqual([5, 784]);
    const values = await result.tensor.data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    const plan = planOf(session.program, 'prior') as PriorPlan;
    expect(plan.ops.map((op) => op.origin.node)).toEqual(expect.arrayContaining(['decoder']));
    expect(plan.ops.some((op) => op.origin.node === 'encoder')).toBe(false);
    result.tensor.dispose();
    session.dispose();
  });

  it('prior: the GAN generator from fresh noise', async () => {
    const session = sessionFor(preset('gan'));
    const result = await runSampler(session, planOf(session.program, 'prior'), { count: 3 });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    expect(result.tensor.shape).toEqual([3, 28, 28, 1]);
    result.tensor.dispose();
    session.dispose();
  });

  it('flow: runs the chain backwards, and the round trip returns the data', async () => {
    const session = sessionFor(preset('flow'), 16);
    for (let i = 0; i < 5; i++) session.trainStep();
    const plan = planOf(session.program, 'flow') as FlowPlan;
    expect(plan.steps.filter((s) => s.kind === 'inverse').length).toBeGreaterThanOrEqual(6 * 3);
    const result = await runSampler(session, plan, { count: 7 });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    expect(result.tensor.shape).toEqual([7, 2]);
    // Forward a batch to its latent, then back: the inverse must return it.
    const x = tf.randomUniform([9, 2], -2, 2, 'float32', 3);
    const data = session.program.feeds[0]!;
    const values = runOps(
      session.program.analysis.ops.filter((op) => op.phase === 'train' && op.def.category !== 'objective'),
      session.program.analysis,
      { variables: session.variables, feeds: { [data.id]: { x } }, batchSize: 9, training: false, random: createRandom(0) },
    );
    const back = invertFlow(session, plan, values.get(plan.latent)!);
    const error = tf.max(tf.abs(tf.sub(back, x)));
    expect((await error.data())[0]).toBeLessThan(1e-4);
    tf.dispose([x, back, error, result.tensor, ...values.values()]);
    session.dispose();
  });

  it('DDPM and DDIM: denoise from noise to samples of the data shape', async () => {
    const doc = zGraphDocument.parse({
      ...makeDocument(
        [
          { id: 'data', kind: 'Data', params: { dataset: 'eight-gaussians' } },
          { id: 'schedule', kind: 'NoiseSchedule', params: { steps: 12 } },
          { id: 'diffuse', kind: 'Diffuse' },
          { id: 'time', kind: 'TimeEmbedding', params: { dim: 8, hidden: 16 } },
          { id: 'join', kind: 'Concat' },
          { id: 'net', kind: 'Dense', params: { units: 32, activation: 'silu' } },
          { id: 'eps', kind: 'Dense', params: { units: 2 } },
          { id: 'loss', kind: 'DiffusionLoss' },
          { id: 'ddpm', kind: 'DDPMSampler', params: { count: 6 } },
          { id: 'ddim', kind: 'DDIMSampler', params: { count: 6, steps: 4 } },
        ],
        [
          'data.x->diffuse.x0', 'schedule.schedule->diffuse.schedule', 'diffuse.t->time.t', 'diffuse.xt->join.a', 'time.emb->join.b',
          'join.y->net.x', 'net.y->eps.x', 'eps.y->loss.prediction', 'diffuse.noise->loss.noise',
          'eps.y->ddpm.prediction', 'schedule.schedule->ddpm.schedule', 'eps.y->ddim.prediction', 'schedule.schedule->ddim.schedule',
        ],
      ),
    });
    const session = sessionFor(doc, 8);
    for (let i = 0; i < 3; i++) session.trainStep();
    for (const kind of ['ddpm', 'ddim'] as const) {
      const seen: number[] = [];
      const result = await runSampler(session, planOf(session.program, kind), { onStep: (i) => seen.push(i) });
      if (result.kind !== 'tensor') throw new Error('expected a tensor');
      expect(result.tensor.shape).toEqual([6, 2]);
      expect(Array.from(await result.tensor.data()).every(Number.isFinite)).toBe(true);
      expect(seen.length).toBe(kind === 'ddpm' ? 12 : 4);
      result.tensor.dispose();
    }
    session.dispose();
  });

  it('autoregressive: writes tokens one at a time, stopping at the end token', async () => {
    const session = sessionFor(preset('transformer'));
    const result = await runSampler(session, planOf(session.program, 'autoregressive'), { count: 4, seed: 3 });
    if (result.kind !== 'tokens') throw new Error('expected tokens');
    expect(result.tokens).toHaveLength(4);
    for (const row of result.tokens) {
      expect(row).toHaveLength(16);
      expect(row.every((t) => Number.isInteger(t) && t >= 0 && t < 28)).toBe(true);
      const end = row.indexOf(1);
      if (end >= 0) expect(row.slice(end + 1).every((t) => t === 0)).toBe(true);
    }
    session.dispose();
  });

  it('a sampler with no path to sample from is a compile error naming it', () => {
    const doc = makeDocument(
      [
        { id: 'x', kind: 'Input', params: { shape: [2] } },
        { id: 'fc', kind: 'Dense', params: { units: 2 } },
        { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
        { id: 'schedule', kind: 'NoiseSchedule', params: { steps: 5 } },
        { id: 'ddpm', kind: 'DDPMSampler' },
      ],
      ['x.x->fc.x', 'fc.y->loss.prediction', 'x.x->loss.target', 'fc.y->ddpm.prediction', 'schedule.schedule->ddpm.schedule'],
    );
    const compiled = compile(doc);
    expect(compiled.ok).toBe(false);
    expect(compiled.diagnostics.find((d) => d.code === 'GC205')).toMatchObject({ node: 'ddpm' });
  });
});
