/**
 * What a sampler kind says about itself: how it plans (which value it
 * substitutes, which ops it re-runs), how it runs (its loop), and what it
 * produces. The compiler and the sampling runtime implement the small
 * contexts below, so a node file needs nothing from them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Shape } from '../base/shape.ts';
import type { NodeDefinition, PortType, PyValue, RandomSource, RecurrentState, VariableSpec } from './types.ts';

/** An op of the analysed graph, as a sampler's plan sees it (the compiler's ops satisfy it). */
export interface SamplerOp {
  id: string;
  kind: string;
  def: NodeDefinition;
  params: unknown;
  /** Port → value key. */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  variables: VariableSpec[];
  origin: { node: string; module?: string };
}

/** The class labels a sampler is conditioned on (its `condition` input), as the compiler finds them. */
export interface SamplerCondition {
  /** The labels value [B] of the training graph that the chosen labels replace. */
  key: string;
  /** How many classes the labels name (ids 0..classes−1), when the graph says. */
  classes?: number;
  /** The label meaning "no class", when a ConditionDropout trained the model with it (classifier-free guidance). */
  nullLabel?: number;
  /** Computes the labels from data, for a held-out batch's labels. */
  ops: SamplerOp[];
}

/** Nodes downstream of a sampler (a decoder after a latent sampler), run on its output after its loop. */
export interface SamplerAfter {
  /** The sampler's output they start from. */
  from: string;
  ops: SamplerOp[];
  /** The one value at the end of the chain: what the sampler run produces. */
  result: string;
}

/** What every plan holds; each kind adds its own fields. */
export interface SamplerPlan {
  /** Names the loop in results and summaries ('prior', 'ddpm', ...). */
  kind: string;
  op: SamplerOp;
  /** Set by the compiler for a sampler whose `condition` input is connected. */
  condition?: SamplerCondition;
  /** Set by the compiler when nodes consume the sampler's output. */
  after?: SamplerAfter;
}

/** Shapes (batch axis symbolic) and port types of the graph's values. */
export interface SamplerValues {
  valueOf(key: string): { shape: Shape; type: PortType } | undefined;
}

export interface SamplerPlanContext<P> extends SamplerValues {
  /** The sampler's own op; its inputs name the values it points at. */
  op: SamplerOp;
  params: P;
  /** Ops needed to compute `targets`, in execution order; the walk stops at `stops`. */
  opsFor(targets: Iterable<string>, stops?: ReadonlySet<string>): SamplerOp[];
  /** Ops fed from outside the graph (Data, Input). */
  isFeed(op: SamplerOp): boolean;
  /** The sampler's condition, when connected; `opsFor` already stops at it. */
  condition?: SamplerCondition;
}

export interface SamplerRunContext<P> {
  params: P;
  /** Samples drawn: the batch size of every run. */
  count: number;
  /** Seeded draws as tensors... */
  random: RandomSource;
  /** ...and as single numbers, from the same generator (draw order is part of the result). */
  rng: { normal(): number; uniform(): number };
  /**
   * Runs `ops` on `values` (substitutions in, new values added); Data and
   * Input ops get the caller's feeds, and the plan's condition the chosen
   * labels unless `values` holds others for it. With `recurrentState`,
   * recurrent ops start from the state held there and leave theirs there
   * (a sequence run one position at a time).
   */
  runOps(ops: readonly SamplerOp[], values: Map<string, tf.Tensor>, recurrentState?: RecurrentState): Map<string, tf.Tensor>;
  /** A value's shape at batch `count`. */
  shapeOf(key: string): number[];
  /** An op's trained variables, by spec name. */
  variablesOf(op: SamplerOp): Record<string, tf.Tensor>;
  /** Labels [count] all set to the condition's null label (classifier-free guidance's unconditional run). */
  nullCondition?(): tf.Tensor;
  /** Decode these latents instead of drawing fresh ones (`count` is their batch; the caller disposes them). */
  latent?: tf.Tensor;
  /** Loops: called after each step with the current x (not to be disposed by the callee). */
  onStep?: (index: number, total: number, x: tf.Tensor) => void;
  /** Schedule loops: run this many strided steps (DDIM, η = 1) instead of the sampler's own chain. */
  strided?: number;
}

export type SamplerRunResult = { kind: 'tensor'; tensor: tf.Tensor } | { kind: 'tokens'; tokens: number[][] };

/** What one run produces, for choosing how to show it: tensors of a shape (batch first), or token sequences. */
export type SamplerOutput = { kind: 'tensor'; shape: Shape | undefined } | { kind: 'tokens' };

/** The loop over a schedule that a sampler runs, for previews of its trajectory and for sample budgets. */
export interface SamplerChain {
  /** Shown in titles ('ddpm' → DDPM). */
  name: string;
  /** Denoiser runs per sample. */
  steps: number;
  /** Visits every step of the schedule (long schedules make it slow). */
  everyStep: boolean;
}

/**
 * A network a sampler's loop runs, as export writes it (a method of model.py's
 * Model, an ONNX model): the values its loop supplies in, one value out.
 */
export interface SamplerNetwork {
  /** Names it in exported code and files ('decode', 'denoise', 'logits'). */
  name: string;
  /** What the loop supplies, by the name export gives it ('z', 'x_t', 't', 'tokens'), and the value it takes the place of. */
  inputs: ReadonlyArray<{ name: string; key: string }>;
  output: string;
  /** The ops from the inputs to the output, run forwards... */
  ops: readonly SamplerOp[];
  /** ...or, for a flow, the steps that run its path backwards from the input to the output. */
  inverse?: readonly InverseStep[];
}

/** One step of running a flow backwards: invert an op, or run a conditioning op (a coupling's s/t network) forwards on values already recovered. */
export type InverseStep = { kind: 'inverse'; op: SamplerOp } | { kind: 'forward'; op: SamplerOp };

/** A sampler's loop in an exported project: a function of gencomposer.sampling and its keyword arguments (Python values). */
export interface TorchLoop {
  function: string;
  args: Readonly<Record<string, PyValue>>;
}

export interface SamplerDefinition<P, Plan extends SamplerPlan = SamplerPlan> {
  /** The plan, or why the graph cannot be sampled this way (GC205's reason). */
  plan(ctx: SamplerPlanContext<P>): Plan | { error: string };
  run(ctx: SamplerRunContext<P>, plan: Plan): Promise<SamplerRunResult>;
  output(plan: Plan, values: SamplerValues): SamplerOutput;
  chain?(plan: Plan, values: SamplerValues): SamplerChain | undefined;
  /** The value drawn from a prior, which a caller may supply instead (`latent`): a latent interpolation walks it. */
  latent?(plan: Plan): string;
  /** Samplers that run the training path backwards (flows): from the latent that data maps to, `invert` gives that data back. */
  inverse?: {
    ends(plan: Plan): { latent: string; data: string };
    invert(ctx: SamplerRunContext<P>, plan: Plan, latent: tf.Tensor): tf.Tensor;
  };
  /** Token samplers: the token input that generated tokens take the place of. */
  tokens?(plan: Plan): string;
  /**
   * Samplers that draw a value position by position from scores computed
   * from that very value (a PixelCNN's image): the scores at each position
   * read only the positions before it, so a likelihood of `replaces` under
   * `scores` is the data's exact likelihood, not a bound.
   */
  autoregressive?(plan: Plan): { scores: string; replaces: string };
  /** Runs of the model per draw when there are many (one per pixel): evaluation scores fewer samples of a sampler above 200. */
  passes?(plan: Plan, values: SamplerValues): number | undefined;
  /**
   * Export: the networks its loop runs (the condition's labels and the
   * nodes after it are added by export), and the loop as gencomposer.sampling
   * writes it, drawing what `run` draws in the same order.
   */
  export?: {
    networks(plan: Plan): SamplerNetwork[];
    torch(params: P, plan: Plan, values: SamplerValues): TorchLoop;
  };
}

/** The definition that plans and runs `plan`. */
export function samplerOf(plan: SamplerPlan): SamplerDefinition<unknown> {
  const sampler = plan.op.def.sampler as SamplerDefinition<unknown> | undefined;
  if (!sampler) throw new Error(`${plan.op.kind} is not a sampler`);
  return sampler;
}

/** What a plan produces once the nodes after it have run: the end of its chain, else the sampler's own output. */
export function planOutput(plan: SamplerPlan, values: SamplerValues): SamplerOutput {
  if (plan.after) return { kind: 'tensor', shape: values.valueOf(plan.after.result)?.shape };
  return samplerOf(plan).output(plan, values);
}

/** A sampler's name in results, files and `--sampler`: its node id, under its placement's when it sits in a module (`placement/node`). */
export function samplerName(plan: SamplerPlan): string {
  return plan.op.id;
}
