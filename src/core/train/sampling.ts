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
import { samplerName, samplerOf, type SamplerCondition, type SamplerOp, type SamplerPlan, type SamplerRunContext, type SamplerRunResult } from '../nodes/sampler-types.ts';
import { conditionChoiceOf, conditionLabels, conditionProblem, type ConditionChoice } from '../nodes/sampler-condition.ts';
import type { FlatOp } from '../shapes/analyze.ts';
import type { RecurrentState } from '../nodes/types.ts';
import { concrete } from '../base/shape.ts';
import { createRandom, type RandomSource } from '../base/random.ts';
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
  /** The labels of a conditioned sampler; by default the sampler's own params choose. */
  condition?: ConditionChoice;
}

/** `labels`: the class each sample was asked for, for a conditioned sampler. */
export type SampleResult = SamplerRunResult & { sampler: string; family: string; labels?: number[] };

interface SamplerParams {
  count: number;
}

type OpsRunner = ReturnType<typeof opsRunner>;

/** Runs ops of the plan's program on this session's variables at batch `count`, reading Data feeds from `options`. */
function opsRunner(session: TrainingSession, plan: SamplerPlan, count: number, random: RandomSource, options: SampleOptions) {
  const analysis = session.program.analysis;
  return (samplerOps: readonly SamplerOp[], values: Map<string, tf.Tensor>, recurrentState?: RecurrentState) => {
    // Plans hold the compiler's own ops.
    const ops = samplerOps as readonly FlatOp[];
    const feeds = nameRecord<Record<string, tf.Tensor>>();
    for (const op of ops) {
      if (op.kind !== 'Data' && op.kind !== 'Input') continue;
      if (!options.feedsFor) throw new Error(`sampler ${samplerName(plan)} needs data from ${op.origin.node}`);
      feeds[op.id] = options.feedsFor(op, count);
    }
    const out = runOps(ops, analysis, { variables: session.variables, feeds, batchSize: count, training: false, random, constants: session.constants, ...(recurrentState ? { recurrentState } : {}) }, values);
    // A Data op's outputs are its feeds: those the caller gets back are the caller's to dispose.
    const returned = new Set(out.values());
    for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch).filter((t) => !returned.has(t)));
    return out;
  };
}

/** The labels [count] a conditioned sampler runs with: chosen, or a held-out batch's. */
function conditionTensor(run: OpsRunner, condition: SamplerCondition, choice: ConditionChoice, count: number): tf.Tensor {
  const labels = conditionLabels(choice, condition.classes, count);
  if (labels) return tf.tensor1d(labels, 'int32');
  const values = run(condition.ops, new Map());
  const held = tf.cast(values.get(condition.key)!, 'int32');
  tf.dispose([...values.values()]);
  return held;
}

/** What a sampler's loop runs on: this session's variables, `count` samples, one seeded generator. */
function runContext(session: TrainingSession, plan: SamplerPlan, count: number, random: ReturnType<typeof createRandom>, options: SampleOptions, run: OpsRunner, condition?: tf.Tensor): SamplerRunContext<unknown> {
  const analysis = session.program.analysis;
  const conditionKey = plan.condition?.key;
  const nullLabel = plan.condition?.nullLabel;
  return {
    params: plan.op.params,
    count,
    random,
    rng: random.rng,
    runOps: (ops, values, recurrentState) => {
      // Each run gets its own handle on the labels, so callers may dispose what a run returns.
      if (condition && conditionKey !== undefined && !values.has(conditionKey) && ops.some((op) => Object.values(op.inputs).includes(conditionKey))) {
        values.set(conditionKey, tf.clone(condition));
      }
      return run(ops, values, recurrentState);
    },
    shapeOf: (key) => concrete(analysis.values.get(key)!.shape, count),
    variablesOf: (op) => Object.fromEntries(op.variables.map((spec) => [spec.name, session.variables.get(variableKey(op as FlatOp, spec))!])),
    ...(nullLabel !== undefined ? { nullCondition: () => tf.fill([count], nullLabel, 'int32') } : {}),
    ...(options.latent ? { latent: options.latent } : {}),
    ...(options.onStep ? { onStep: afterEachStep(run, plan, options.onStep, condition) } : {}),
    ...(options.strided ? { strided: options.strided } : {}),
  };
}

/** Runs the nodes after a sampler on `samples`: the end of its chain (the caller disposes both). */
function runAfter(run: OpsRunner, plan: SamplerPlan, samples: tf.Tensor, condition?: tf.Tensor): tf.Tensor {
  const after = plan.after!;
  return tf.tidy(() => {
    const values = new Map([[after.from, samples]]);
    if (condition && plan.condition) values.set(plan.condition.key, condition);
    return run(after.ops, values).get(after.result)!;
  });
}

/** A trajectory preview sees each step as the chain's end would (a latent sampler's steps decoded). */
function afterEachStep(run: OpsRunner, plan: SamplerPlan, onStep: NonNullable<SampleOptions['onStep']>, condition?: tf.Tensor): SampleOptions['onStep'] {
  if (!plan.after) return onStep;
  return (index, total, x) => {
    const decoded = runAfter(run, plan, x, condition);
    onStep(index, total, decoded);
    decoded.dispose();
  };
}

/** Runs the plan's own loop (its node definition's `run`), then the nodes after it. */
export async function runSampler(session: TrainingSession, plan: SamplerPlan, options: SampleOptions = {}): Promise<SampleResult> {
  const count = options.latent?.shape[0] ?? options.count ?? (plan.op.params as SamplerParams).count;
  const seed = options.seed ?? stepSeed(session.seed, session.step, 7919);
  const random = createRandom(seed);
  const run = opsRunner(session, plan, count, random, options);
  const choice = options.condition ?? conditionChoiceOf(plan.op.params);
  if (plan.condition) {
    const problem = conditionProblem(choice, plan.condition.classes, plan.condition.nullLabel);
    if (problem) throw new Error(`sampler ${samplerName(plan)}: ${problem}`);
  }
  const condition = plan.condition ? conditionTensor(run, plan.condition, choice, count) : undefined;
  try {
    const result = await samplerOf(plan).run(runContext(session, plan, count, random, options, run, condition), plan);
    const labels = condition && result.kind === 'tensor' ? Array.from(await condition.data()) : undefined;
    const named = { sampler: samplerName(plan), family: plan.kind, ...(labels ? { labels } : {}) };
    if (!plan.after || result.kind !== 'tensor') return { ...result, ...named };
    const tensor = runAfter(run, plan, result.tensor, condition);
    result.tensor.dispose();
    return { kind: 'tensor', tensor, ...named };
  } finally {
    condition?.dispose();
  }
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
  if (!inverse) throw new Error(`sampler ${samplerName(plan)} does not run its path backwards`);
  const count = latent.shape[0]!;
  const random = createRandom(0);
  return inverse.invert(runContext(session, plan, count, random, {}, opsRunner(session, plan, count, random, {})), plan, latent);
}
