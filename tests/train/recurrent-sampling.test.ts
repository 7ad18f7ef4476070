import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { AutoregressivePlan } from '../../src/core/nodes/autoregressive-sampler.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { concrete } from '../../src/core/base/shape.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession, type BatchProvider } from '../../src/core/train/session.ts';
import '../helpers.ts';

function program(name: string): Program {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(name);
  const compiled = compile(loaded.document);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

function session(p: Program): TrainingSession {
  const batches: BatchProvider = (op, step, batchSize) => {
    const random = createRandom(step + 1);
    const out: Record<string, tf.Tensor> = {};
    for (const [port, key] of Object.entries(op.outputs)) out[port] = tf.tidy(() => tf.add(random.integers(concrete(p.analysis.values.get(key)!.shape, batchSize), 26), 2));
    return out;
  };
  return new TrainingSession(p, batches, 4);
}

const autoregressive = (p: Program) => p.samplers.find((s) => s.kind === 'autoregressive') as AutoregressivePlan;

describe('autoregressive sampling of a recurrent model', () => {
  it('steps a model of positionwise and recurrent kinds one position at a time; a Transformer re-runs its prefix', () => {
    expect(autoregressive(program('char-lstm')).stepwise).toBe(true);
    expect(autoregressive(program('transformer')).stepwise).toBe(false);
  });

  it('draws the same tokens stepping with the carried state as re-running the whole prefix, and leaks no tensors', async () => {
    const s = session(program('char-lstm'));
    s.trainStep();
    const plan = autoregressive(s.program);
    const before = tf.memory().numTensors;
    const stepped = await runSampler(s, plan, { count: 6, seed: 11 });
    expect(tf.memory().numTensors).toBe(before);
    const whole = await runSampler(s, { ...plan, stepwise: false } as AutoregressivePlan, { count: 6, seed: 11 });
    if (stepped.kind !== 'tokens' || whole.kind !== 'tokens') throw new Error('expected tokens');
    expect(stepped.tokens).toEqual(whole.tokens);
    expect(stepped.tokens.flat().some((t) => t > 1)).toBe(true);
    s.dispose();
  });

  it('runs the model on one position per token rather than on the whole context', async () => {
    const s = session(program('char-lstm'));
    const plan = autoregressive(s.program);
    const seen: number[][] = [];
    const embed = plan.ops.find((op) => op.kind === 'Embedding')!;
    const original = embed.def.forward!;
    const spy = { ...embed.def, forward: (ctx: Parameters<typeof original>[0]) => (seen.push(ctx.inputs.tokens!.shape), original(ctx)) };
    const spied = { ...plan, ops: plan.ops.map((op) => (op === embed ? { ...op, def: spy } : op)) } as AutoregressivePlan;
    // stopToken −1: every sequence runs the full context of 16.
    await runSampler(s, { ...spied, op: { ...plan.op, params: { ...(plan.op.params as object), stopToken: -1 } } }, { count: 3, seed: 2 });
    expect(seen).toHaveLength(16);
    expect(seen.every((shape) => shape.join() === '3,1')).toBe(true);
    s.dispose();
  });
});
