/**
 * Runs a graph's samplers over a session's trained variables, following the
 * plans the compiler made: substitute the sampler's inputs, re-run the ops
 * that depend on them, and loop where the family loops (diffusion steps,
 * tokens).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../base/names.ts';
import { runOps, variableKey } from '../compiler/forward.ts';
import type { Program, SamplerPlan } from '../compiler/program.ts';
import { sampleToken } from '../nodes/autoregressive-sampler.ts';
import { ddimStep, ddimTimesteps } from '../nodes/ddim-sampler.ts';
import { ddpmStep } from '../nodes/ddpm-sampler.ts';
import { SCHEDULE_ALPHA, SCHEDULE_ALPHA_BAR, SCHEDULE_BETA } from '../nodes/noise-schedule.ts';
import type { FlatOp } from '../shapes/analyze.ts';
import { concrete } from '../shapes/shape.ts';
import { createRandom, type Rng } from './random.ts';
import { stepSeed, type TrainingSession } from './session.ts';

export interface SampleOptions {
  /** Overrides the sampler's `count`. */
  count?: number;
  seed?: number;
  /** Feeds for Data nodes a sampler needs (conditioning); by default the session's batches. */
  feedsFor?: (op: FlatOp, count: number) => Record<string, tf.Tensor>;
  /** Diffusion: called after each denoising step with the current x (not to be disposed by the callee). */
  onStep?: (index: number, total: number, x: tf.Tensor) => void;
  /**
   * Prior and flow: decode these latents instead of drawing fresh ones (the
   * caller keeps and disposes them; `count` is their batch size). A VAE's
   * latent interpolation walks a line this way.
   */
  latent?: tf.Tensor;
}

export type SampleResult =
  | { kind: 'tensor'; sampler: string; family: SamplerPlan['kind']; tensor: tf.Tensor }
  | { kind: 'tokens'; sampler: string; family: 'autoregressive'; tokens: number[][] };

interface SamplerParams {
  count: number;
}

export async function runSampler(session: TrainingSession, plan: SamplerPlan, options: SampleOptions = {}): Promise<SampleResult> {
  const count = options.latent?.shape[0] ?? options.count ?? (plan.op.params as SamplerParams).count;
  const seed = options.seed ?? stepSeed(session.seed, session.step, 7919);
  const random = createRandom(seed);
  const analysis = session.program.analysis;
  const run = (ops: readonly FlatOp[], values: Map<string, tf.Tensor>, batchSize: number) => {
    const feeds = nameRecord<Record<string, tf.Tensor>>();
    for (const op of ops) {
      if (op.kind !== 'Data' && op.kind !== 'Input') continue;
      if (!options.feedsFor) throw new Error(`sampler ${plan.op.origin.node} needs data from ${op.origin.node}`);
      feeds[op.id] = options.feedsFor(op, batchSize);
    }
    const out = runOps(ops, analysis, { variables: session.variables, feeds, batchSize, training: false, random }, values);
    for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
    return out;
  };
  const shapeOf = (key: string, n: number) => concrete(analysis.values.get(key)!.shape, n);
  const sampler = plan.op.origin.node;

  switch (plan.kind) {
    case 'prior': {
      const params = plan.op.params as { distribution: 'normal' | 'uniform'; transform: 'none' | 'sigmoid' | 'tanh' };
      const tensor = tf.tidy(() => {
        const shape = shapeOf(plan.latent, count);
        const latent = options.latent ?? (params.distribution === 'normal' ? random.normal(shape) : tf.sub(tf.mul(random.uniform(shape), 2), 1));
        const values = run(plan.ops, new Map([[plan.latent, latent]]), count);
        const output = values.get(plan.output)!;
        return params.transform === 'sigmoid' ? tf.sigmoid(output) : params.transform === 'tanh' ? tf.tanh(output) : output;
      });
      return { kind: 'tensor', sampler, family: 'prior', tensor };
    }
    case 'flow': {
      const { temperature } = plan.op.params as { temperature: number };
      const latent = options.latent ?? tf.tidy(() => tf.mul(random.normal(shapeOf(plan.latent, count)), temperature));
      const tensor = invertFlow(session, plan, latent, (ops, values) => run(ops, values, count));
      if (latent !== options.latent) latent.dispose();
      return { kind: 'tensor', sampler, family: 'flow', tensor };
    }
    case 'ddpm':
    case 'ddim':
      return { kind: 'tensor', sampler, family: plan.kind, tensor: await denoise(plan, count, random.rng, run, options) };
    case 'autoregressive':
      return { kind: 'tokens', sampler, family: 'autoregressive', tokens: await generateTokens(plan, count, random.rng, run, shapeOf) };
  }
}

/** Samples of data scaled to [-1, 1] (tanh outputs) are drawn over that range, others over [0, 1]. */
export function sampleValueRange(program: Pick<Program, 'feeds'>): [number, number] {
  const signed = program.feeds.some((op) => (op.params as { range?: string }).range === 'signed');
  return signed ? [-1, 1] : [0, 1];
}

/**
 * Runs a flow backwards from `latent` (any batch size) to data space: the
 * sampler with Gaussian noise, or the round-trip check with a real latent.
 */
export function invertFlow(
  session: TrainingSession,
  plan: Extract<SamplerPlan, { kind: 'flow' }>,
  latent: tf.Tensor,
  runForward: (ops: readonly FlatOp[], values: Map<string, tf.Tensor>) => void = (ops, values) =>
    runOps(ops, session.program.analysis, { variables: session.variables, feeds: {}, batchSize: latent.shape[0]!, training: false, random: createRandom(0) }, values),
): tf.Tensor {
  const analysis = session.program.analysis;
  const count = latent.shape[0]!;
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>([[plan.latent, latent]]);
    for (const step of plan.steps) {
      const op = step.op;
      if (step.kind === 'forward') {
        runForward([op], values);
        continue;
      }
      const inv = op.def.invertible!;
      const get = (key: string) => values.get(key)!;
      const conditioning = Object.entries(op.inputs).filter(([port]) => !inv.inputs.includes(port) && port !== 'logdet');
      const recovered = inv.inverse({
        params: op.params,
        outputs: Object.fromEntries(inv.outputs.map((port) => [port, get(op.outputs[port]!)])),
        inputs: Object.fromEntries(conditioning.map(([port, key]) => [port, get(key)])),
        vars: Object.fromEntries(op.variables.map((spec) => [spec.name, session.variables.get(variableKey(op, spec))!])),
        inputShapes: Object.fromEntries(Object.entries(op.inputs).map(([port, key]) => [port, concrete(analysis.values.get(key)!.shape, count)])),
      });
      for (const port of inv.inputs) if (op.inputs[port]) values.set(op.inputs[port]!, recovered[port]!);
    }
    return values.get(plan.data)!;
  });
}

type Run = (ops: readonly FlatOp[], values: Map<string, tf.Tensor>, batchSize: number) => Map<string, tf.Tensor>;
type ShapeOf = (key: string, n: number) => number[];

function normals(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** The DDPM ancestral loop or the DDIM strided loop, over the compiled denoiser. */
async function denoise(
  plan: Extract<SamplerPlan, { kind: 'ddpm' | 'ddim' }>,
  count: number,
  rng: Rng,
  run: Run,
  options: SampleOptions,
): Promise<tf.Tensor> {
  const setup = run(plan.setup, new Map(), count);
  const scheduleTensor = setup.get(plan.schedule)!;
  const [steps] = scheduleTensor.shape as [number, number];
  const flat = await scheduleTensor.data();
  tf.dispose([...setup.values()]);
  const column = (c: number) => Float64Array.from({ length: steps }, (_, t) => flat[t * 3 + c]!);
  const tables = { betas: column(SCHEDULE_BETA), alphas: column(SCHEDULE_ALPHA), alphaBars: column(SCHEDULE_ALPHA_BAR) };
  const shape = concrete(plan.dataShape, count);
  const size = shape.reduce((a, b) => a * b, 1);
  let x = normals(rng, size);
  const params = plan.op.params as { clipDenoised?: boolean; variance?: 'beta' | 'posterior'; steps?: number; eta?: number };
  const visits = plan.kind === 'ddpm' ? Array.from({ length: steps }, (_, i) => steps - 1 - i) : ddimTimesteps(steps, params.steps!);
  for (let i = 0; i < visits.length; i++) {
    const t = visits[i]!;
    const eps = tf.tidy(() => {
      const values = run(plan.ops, new Map([[plan.xt, tf.tensor(x, shape)], [plan.t, tf.fill([count], t, 'int32')]]), count);
      return values.get(plan.prediction)!;
    });
    const epsValues = await eps.data();
    eps.dispose();
    if (plan.kind === 'ddpm') {
      x = ddpmStep({ xt: x, eps: epsValues, t, tables, noise: t > 0 ? normals(rng, size) : undefined, clip: params.clipDenoised ?? false, variance: params.variance ?? 'beta' });
    } else {
      const eta = params.eta ?? 0;
      x = ddimStep({ xt: x, eps: epsValues, t, tPrev: visits[i + 1] ?? -1, tables, eta, noise: eta > 0 ? normals(rng, size) : undefined, clip: params.clipDenoised ?? false });
    }
    if (options.onStep) {
      const current = tf.tensor(x, shape);
      options.onStep(i, visits.length, current);
      current.dispose();
    }
  }
  return tf.tensor(x, shape);
}

/** Writes tokens left to right, re-running the model on the tokens so far. */
async function generateTokens(plan: Extract<SamplerPlan, { kind: 'autoregressive' }>, count: number, rng: Rng, run: Run, shapeOf: ShapeOf): Promise<number[][]> {
  const params = plan.op.params as { temperature: number; topK: number; maxLength: number; startToken: number; stopToken: number };
  const [, context, vocab] = shapeOf(plan.logits, count) as [number, number, number];
  const length = params.maxLength || context;
  const inputs = new Int32Array(count * context);
  for (let b = 0; b < count; b++) inputs[b * context] = params.startToken;
  const out: number[][] = Array.from({ length: count }, () => []);
  const finished = new Array<boolean>(count).fill(false);
  for (let position = 0; position < length; position++) {
    const row = tf.tidy(() => {
      const values = run(plan.ops, new Map([[plan.tokens, tf.tensor(inputs, [count, context], 'int32')]]), count);
      return tf.squeeze(tf.slice(values.get(plan.logits)!, [0, position, 0], [count, 1, vocab]), [1]);
    });
    const logits = await row.data();
    row.dispose();
    for (let b = 0; b < count; b++) {
      if (finished[b]) {
        out[b]!.push(0);
        continue;
      }
      const token = sampleToken(logits.subarray(b * vocab, (b + 1) * vocab) as Float32Array, params.temperature, params.topK, rng.uniform());
      out[b]!.push(token);
      if (position + 1 < context) inputs[b * context + position + 1] = token;
      if (token === params.stopToken) finished[b] = true;
    }
    if (finished.every(Boolean)) {
      for (const tokens of out) while (tokens.length < length) tokens.push(0);
      break;
    }
  }
  return out;
}
