import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import type { FlowPlan } from '../../src/core/nodes/flow-inverse-sampler.ts';
import { flowRoundTrip } from '../../src/core/train/family-eval.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { invertFlow } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { inferNode, makeDocument } from '../helpers.ts';

describe('FlowInverseSampler', () => {
  it("samples the latent's shape in the sampling phase", () => {
    const { outputs, analysis } = inferNode('FlowInverseSampler', { temperature: 0.7 }, { latent: { shape: [2] } });
    expect(outputs.samples?.shape).toEqual(['B', 2]);
    expect(analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('FlowInverseSampler', {}, {}).codes).toEqual(['GC102@n.latent']);
    expect(inferNode('FlowInverseSampler', {}, { latent: { shape: [] } }).codes).toEqual(['GC106@n.latent']);
    expect(inferNode('FlowInverseSampler', { temperature: -1 }, { latent: { shape: [2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('FlowInverseSampler', { count: 5000 }, { latent: { shape: [2] } }).codes).toEqual(['GC107@n']);
  });
});

describe('FlowInverseSampler plans', () => {
  function program(doc: GraphDocument): Program {
    const compiled = compile(doc);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!compiled.ok) throw new Error('does not compile');
    return compiled.program;
  }

  it('names the op where the way back stops: a kind without an inverse in the chain', () => {
    const doc = makeDocument(
      [
        { id: 'in', kind: 'Input', params: { shape: [4] } },
        { id: 'norm', kind: 'ActNorm', params: {} },
        { id: 'dense', kind: 'Dense', params: { units: 4 } },
        { id: 'mix', kind: 'InvertibleConv1x1', params: {} },
        { id: 'sampler', kind: 'FlowInverseSampler', params: {} },
      ],
      ['in.x->norm.x', 'norm.y->dense.x', 'dense.y->mix.x', 'mix.y->sampler.latent'],
    );
    const errors = compile(doc).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['GC205']);
    expect(errors[0]!.message).toMatch(/cannot be run backwards at dense\b/);
  });

  it('multi-scale Glow: draws every factored-out part, runs invertible kinds inside a conditioner forwards, and round-trips', async () => {
    const loaded = loadText(readFileSync('graph-presets/glow.json', 'utf8'));
    if (!loaded.ok) throw new Error('glow does not load');
    const compiled = program(loaded.document);
    const plan = compiled.samplers.find((p) => p.op.origin.node === 'sampler') as FlowPlan;
    const inverted = plan.steps.filter((s) => s.kind === 'inverse').map((s) => s.op.origin.node);
    const forwards = plan.steps.filter((s) => s.kind === 'forward').map((s) => s.op.origin.node);
    // The latent is the factored-out half (through its learned prior) and the last level's output, flattened
    // and joined: inverting the join hands each its part of the draw, and the factor Split joins them again.
    expect(inverted[0]).toBe('latent');
    expect(inverted).toEqual(expect.arrayContaining(['flat_late', 'flat_early', 'prior', 'factor']));
    expect(inverted.indexOf('prior')).toBeLessThan(inverted.indexOf('factor'));
    expect(inverted.at(-1)).toBe('dequantize');
    // A coupling's s and t come out of one convolution cut by a Split, which runs forwards.
    expect(forwards).toEqual(expect.arrayContaining(['l1_step1_st_split', 'prior_st_split']));
    expect(inverted).not.toContain('l1_step1_st_split');

    const sources = await openProgramData(compiled, readPublicAsset);
    const session = new TrainingSession(compiled, streamBatches(sources), 8);
    session.trainStep();
    const error = await flowRoundTrip(session, (op, start, count) => sources.get(op.id)!.validationBatch(start, count), 16);
    expect(error).toBeLessThan(1e-4);
    // Changing only the factored-out part of the draw (the first 392 values) changes the images.
    const latent = tf.randomNormal([2, 784], 0, 1, 'float32', 1);
    const other = tf.concat([tf.randomNormal([2, 392], 0, 1, 'float32', 2), tf.slice(latent, [0, 392], [2, 392])], 1);
    const [a, b] = [invertFlow(session, plan, latent), invertFlow(session, plan, other)];
    expect(a.shape).toEqual([2, 28, 28, 1]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([latent, other, a, b]);
    session.dispose();
  });
});
