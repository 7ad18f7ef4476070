/**
 * What DDPM and DDIM share: the plan (re-run the denoiser in place of
 * Diffuse's x_t and t) and the loop over the schedule; each sampler file
 * supplies the timesteps it visits and its step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { concrete, type Shape } from '../base/shape.ts';
import type { StepTables } from './ddpm-sampler.ts';
import { diffuseNode } from './diffuse.ts';
import { SCHEDULE_ALPHA, SCHEDULE_ALPHA_BAR, SCHEDULE_BETA } from './noise-schedule.ts';
import type { SamplerNetwork, SamplerOp, SamplerOutput, SamplerPlan, SamplerPlanContext, SamplerRunContext, SamplerValues, TorchLoop } from './sampler-types.ts';
import type { PyValue } from './types.ts';

export interface DiffusionPlan extends SamplerPlan {
  /** The denoiser's eps prediction. */
  prediction: string;
  schedule: string;
  /** Diffuse's outputs, replaced by the running sample and its step. */
  xt: string;
  t: string;
  dataShape: Shape;
  /** The denoiser, from x_t and t to the prediction. */
  ops: SamplerOp[];
  /** Computes the schedule. */
  setup: SamplerOp[];
}

/** Classifier-free guidance (Ho & Salimans 2022): 0 samples from the conditional model alone. */
export const guidanceParams = {
  /** w in eps = (1 + w) · eps(x, class) − w · eps(x, null): above 0 trades variety for samples more clearly of their class. */
  guidance: z.number().min(0).max(100).default(0),
};

export function planDiffusion<P>({ op, opsFor, isFeed, valueOf, condition }: SamplerPlanContext<P>, kind: string): DiffusionPlan | { error: string } {
  const { guidance } = op.params as { guidance: number };
  if (guidance > 0 && !condition) return { error: 'guidance needs class labels: connect its condition input to the labels the denoiser reads' };
  if (guidance > 0 && condition?.nullLabel === undefined) {
    return { error: 'guidance needs the model trained without labels too: put a ConditionDropout between the labels and the denoiser' };
  }
  const prediction = op.inputs.prediction!;
  const schedule = op.inputs.schedule!;
  const diffuse = opsFor([prediction]).find((o) => o.kind === diffuseNode.kind);
  if (!diffuse) return { error: 'no Diffuse node feeds the prediction, so there is no noisy input to denoise' };
  const xt = diffuse.outputs.xt!;
  const t = diffuse.outputs.t!;
  const ops = opsFor([prediction], new Set([xt, t]));
  if (ops.some((o) => o.kind === diffuseNode.kind || isFeed(o))) {
    return { error: `the denoiser needs inputs other than the noisy sample and its step${condition ? ' and its condition' : ' (connect class labels it reads to the condition input)'}` };
  }
  const dataShape = valueOf(diffuse.inputs.x0!)!.shape;
  const setup = opsFor([schedule]);
  return { kind, op, prediction, schedule, xt, t, dataShape, ops, setup };
}

/** The networks a denoising loop runs: the schedule (once) and the denoiser (each step). */
export function diffusionNetworks(plan: DiffusionPlan): SamplerNetwork[] {
  return [
    { name: 'schedule', inputs: [], output: plan.schedule, ops: plan.setup },
    { name: 'denoise', inputs: [{ name: 'x_t', key: plan.xt }, { name: 't', key: plan.t }], output: plan.prediction, ops: plan.ops },
  ];
}

/** gencomposer.sampling.denoise's arguments for a plan: the loop's own (`loop`) and guidance's. */
export function denoiseLoop(plan: DiffusionPlan, guidance: number, loop: Readonly<Record<string, PyValue>>): TorchLoop {
  const nullLabel = plan.condition?.nullLabel;
  return { function: 'denoise', args: { shape: plan.dataShape.slice(1).map(Number), ...loop, guidance, ...(guidance > 0 && nullLabel !== undefined ? { null_label: nullLabel } : {}) } };
}

export function diffusionOutput(plan: DiffusionPlan): SamplerOutput {
  return { kind: 'tensor', shape: plan.dataShape };
}

/** The schedule's length, when the analysis knows it. */
export function scheduleLength(plan: DiffusionPlan, values: SamplerValues): number | undefined {
  const shape = values.valueOf(plan.schedule)?.shape;
  return typeof shape?.[0] === 'number' ? shape[0] : undefined;
}

/** How a loop walks the schedule. */
export interface DenoiseLoop {
  /** The timesteps visited, in order, over a schedule of `steps`. */
  visits(steps: number): number[];
  /**
   * x at visits[i] → x at the next visit (`next` is −1 after the last);
   * `normals()` draws standard normals as long as x.
   */
  step(args: { x: Float32Array; eps: ArrayLike<number>; t: number; next: number; tables: StepTables; normals: () => Float32Array }): Float32Array;
}

function normals(rng: SamplerRunContext<unknown>['rng'], n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** From pure noise, runs the denoiser at each visited step and takes the loop's step. */
export async function denoise<P>(ctx: SamplerRunContext<P>, plan: DiffusionPlan, loop: DenoiseLoop): Promise<tf.Tensor> {
  const { count, runOps, rng, onStep } = ctx;
  const guidance = (ctx.params as { guidance?: number }).guidance ?? 0;
  const setup = runOps(plan.setup, new Map());
  const scheduleTensor = setup.get(plan.schedule)!;
  const [steps] = scheduleTensor.shape as [number, number];
  const flat = await scheduleTensor.data();
  tf.dispose([...setup.values()]);
  const column = (c: number) => Float64Array.from({ length: steps }, (_, t) => flat[t * 3 + c]!);
  const tables = { betas: column(SCHEDULE_BETA), alphas: column(SCHEDULE_ALPHA), alphaBars: column(SCHEDULE_ALPHA_BAR) };
  const shape = concrete(plan.dataShape, count);
  const size = shape.reduce((a, b) => a * b, 1);
  let x = normals(rng, size);
  const visits = loop.visits(steps);
  for (let i = 0; i < visits.length; i++) {
    const t = visits[i]!;
    const eps = tf.tidy(() => {
      const predict = (labels?: tf.Tensor) => {
        const inputs = new Map([[plan.xt, tf.tensor(x, shape)], [plan.t, tf.fill([count], t, 'int32')]]);
        if (labels) inputs.set(plan.condition!.key, labels);
        return runOps(plan.ops, inputs).get(plan.prediction)!;
      };
      const conditional = predict();
      if (guidance === 0) return conditional;
      const unconditional = predict(ctx.nullCondition!());
      return tf.sub(tf.mul(conditional, 1 + guidance), tf.mul(unconditional, guidance));
    });
    const epsValues = await eps.data();
    eps.dispose();
    x = loop.step({ x, eps: epsValues, t, next: visits[i + 1] ?? -1, tables, normals: () => normals(rng, size) });
    if (onStep) {
      const current = tf.tensor(x, shape);
      onStep(i, visits.length, current);
      current.dispose();
    }
  }
  return tf.tensor(x, shape);
}
