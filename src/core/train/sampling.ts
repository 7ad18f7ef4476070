/**
 * Runs a graph's samplers over a session's trained variables: each plan's
 * node definition holds its loop (substitute the sampler's inputs, re-run
 * the ops that depend on them, repeat for diffusion steps or tokens); this
 * file gives it the session's variables, feeds and seeded draws.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../base/names.ts';
import { runOps, variableKey } from '../compiler/forward.ts';
import type { Program } from '../compiler/program.ts';
import { samplerOf, type SamplerPlan, type SamplerRunContext, type SamplerRunResult } from '../nodes/sampler-types.ts';
import type { FlatOp } from '../shapes/analyze.ts';
import { concrete } from '../base/shape.ts';
import { createRandom } from '../base/random.ts';
import { stepSeed, type TrainingSession } from './session.ts';

export interface SampleOptions {
  /** Overrides the sampler's `count`. */
  count?: number;
  seed?: number;
  /** Feeds for Data nodes a sampler needs (conditioning); by default the session's batches. */
  feedsFor?: (op: FlatOp, count: number) => Record<string, tf.Tensor>;
  /** Diffusion: called after each denoising step with the current x (not to be disposed by the callee). */
  onStep?: (index: number, total: number, x: tf.Tensor) => void;
  /** Diffusion previews: run this many strided steps (DDIM, η = 1) instead of the sampler's own chain. */
  strided?: number;
  /**
   * Prior and flow: decode these latents instead of drawing fresh ones (the
   * caller keeps and disposes them; `count` is their batch size). A VAE's
   * latent interpolation walks a line this way.
   */
  latent?: tf.Tensor;
}

export type SampleResult = SamplerRunResult & { sampler: string; family: string };

interface SamplerParams {
  count: number;
}

/** What a sampler's loop runs on: this session's variables, `count` samples, one seeded generator. */
function runContext(session: TrainingSession, plan: SamplerPlan, count: number, random: ReturnType<typeof createRandom>, options: SampleOptions): SamplerRunContext<unknown> {
  const analysis = session.program.analysis;
  return {
    params: plan.op.params,
    count,
    random,
    rng: random.rng,
    runOps: (samplerOps, values) => {
      // Plans hold the compiler's own ops.
      const ops = samplerOps as readonly FlatOp[];
      const feeds = nameRecord<Record<string, tf.Tensor>>();
      for (const op of ops) {
        if (op.kind !== 'Data' && op.kind !== 'Input') continue;
        if (!options.feedsFor) throw new Error(`sampler ${plan.op.origin.node} needs data from ${op.origin.node}`);
        feeds[op.id] = options.feedsFor(op, count);
      }
      const out = runOps(ops, analysis, { variables: session.variables, feeds, batchSize: count, training: false, random }, values);
      for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
      return out;
    },
    shapeOf: (key) => concrete(analysis.values.get(key)!.shape, count),
    variablesOf: (op) => Object.fromEntries(op.variables.map((spec) => [spec.name, session.variables.get(variableKey(op as FlatOp, spec))!])),
    ...(options.latent ? { latent: options.latent } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.strided ? { strided: options.strided } : {}),
  };
}

/** Runs the plan's own loop (its node definition's `run`). */
export async function runSampler(session: TrainingSession, plan: SamplerPlan, options: SampleOptions = {}): Promise<SampleResult> {
  const count = options.latent?.shape[0] ?? options.count ?? (plan.op.params as SamplerParams).count;
  const seed = options.seed ?? stepSeed(session.seed, session.step, 7919);
  const result = await samplerOf(plan).run(runContext(session, plan, count, createRandom(seed), options), plan);
  return { ...result, sampler: plan.op.origin.node, family: plan.kind };
}

/** Samples of data scaled to [-1, 1] (tanh outputs) are drawn over that range, others over [0, 1]. */
export function sampleValueRange(program: Pick<Program, 'feeds'>): [number, number] {
  const signed = program.feeds.some((op) => (op.params as { range?: string }).range === 'signed');
  return signed ? [-1, 1] : [0, 1];
}

/**
 * Runs a sampler that inverts its training path (a flow) backwards from
 * `latent` (any batch size) to data space: the round-trip check.
 */
export function invertFlow(session: TrainingSession, plan: SamplerPlan, latent: tf.Tensor): tf.Tensor {
  const inverse = samplerOf(plan).inverse;
  if (!inverse) throw new Error(`sampler ${plan.op.origin.node} does not run its path backwards`);
  return inverse.invert(runContext(session, plan, latent.shape[0]!, createRandom(0), {}), plan, latent);
}
