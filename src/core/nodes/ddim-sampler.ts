import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { input, mismatch, zSize } from './common.ts';
import type { StepTables } from './ddpm-sampler.ts';
import { denoise, denoiseLoop, diffusionNetworks, diffusionOutput, guidanceParams, planDiffusion, scheduleLength, type DenoiseLoop, type DiffusionPlan } from './diffusion-sampling.ts';
import { scheduleSteps } from './noise-schedule.ts';
import type { SamplerDefinition } from './sampler-types.ts';
import { conditionParams, conditionPort } from './sampler-condition.ts';
import { defineNode } from './types.ts';

export interface DdimStepArgs {
  xt: ArrayLike<number>;
  eps: ArrayLike<number>;
  t: number;
  /** The next step visited; below 0 means the clean sample (alphaBar = 1). */
  tPrev: number;
  tables: Pick<StepTables, 'alphaBars'>;
  /** 0: deterministic DDIM; 1: the DDPM posterior's noise level. */
  eta: number;
  /** Standard normal draws; needed only when eta > 0. */
  noise?: ArrayLike<number>;
  /** Clip x̂_0 to [-1, 1] and take eps again from the clipped x̂_0 (data scaled to [-1, 1]). */
  clip?: boolean;
}

/**
 * One DDIM step x_t → x_{tPrev} (Song et al. 2021, eq. 12):
 * x_prev = sqrt(ā_prev) · x̂_0 + sqrt(1 − ā_prev − σ²) · eps + σ z, where
 * x̂_0 = (x_t − sqrt(1 − ā_t) eps) / sqrt(ā_t) and
 * σ = eta · sqrt((1 − ā_prev) / (1 − ā_t)) · sqrt(1 − ā_t / ā_prev).
 * With clip, x̂_0 is clipped to [-1, 1] and eps recomputed from it, so that
 * the step stays consistent with the clipped estimate.
 */
export function ddimStep({ xt, eps, t, tPrev, tables, eta, noise, clip = false }: DdimStepArgs): Float32Array {
  const n = tables.alphaBars.length;
  if (!Number.isInteger(t) || t < 0 || t >= n) throw new RangeError(`step ${t} is outside the schedule`);
  if (!Number.isInteger(tPrev) || tPrev >= t) throw new RangeError(`the previous step ${tPrev} must come before ${t}`);
  const alphaBar = tables.alphaBars[t]!;
  const alphaBarPrev = tPrev < 0 ? 1 : tables.alphaBars[tPrev]!;
  const sigma = eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar)) * Math.sqrt(1 - alphaBar / alphaBarPrev);
  if (sigma > 0 && !noise) throw new Error('ddimStep with eta > 0 needs noise');
  // Rounding can push 1 − ā_prev − σ² a hair below zero at the last step.
  const direction = Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma));
  const out = new Float32Array(xt.length);
  for (let i = 0; i < xt.length; i++) {
    let x0 = (xt[i]! - Math.sqrt(1 - alphaBar) * eps[i]!) / Math.sqrt(alphaBar);
    let e = eps[i]!;
    if (clip && (x0 > 1 || x0 < -1)) {
      x0 = Math.min(1, Math.max(-1, x0));
      e = (xt[i]! - Math.sqrt(alphaBar) * x0) / Math.sqrt(1 - alphaBar);
    }
    const x = Math.sqrt(alphaBarPrev) * x0 + direction * e;
    out[i] = sigma > 0 ? x + sigma * noise![i]! : x;
  }
  return out;
}

/**
 * The `steps` timesteps DDIM visits, in visiting order (descending), evenly
 * strided over [0, totalSteps). The strides end at totalSteps − 1 ("trailing",
 * Lin et al. 2024), so sampling starts from the pure-noise end of the schedule.
 */
export function ddimTimesteps(totalSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || !Number.isInteger(totalSteps) || steps < 1 || steps > totalSteps) {
    throw new RangeError(`cannot take ${steps} of ${totalSteps} steps`);
  }
  const out: number[] = [];
  for (let i = steps; i >= 1; i--) out.push(Math.floor((i * totalSteps) / steps) - 1);
  return out;
}

/** DDIM's strided loop: `steps` timesteps of the schedule, noise scaled by `eta`. */
export function ddimLoop(steps: number, eta: number, clip: boolean): DenoiseLoop {
  return {
    visits: (total) => ddimTimesteps(total, steps),
    step: ({ x, eps, t, next, tables, normals }) => ddimStep({ xt: x, eps, t, tPrev: next, tables, eta, noise: eta > 0 ? normals() : undefined, clip }),
  };
}

const params = z.strictObject({
  count: zSize(4096, 64),
  ...conditionParams,
  ...guidanceParams,
  /** Denoiser runs per sample; at most the schedule's steps. */
  steps: zSize(10000, 50),
  /** 0: deterministic; 1: as noisy as DDPM. */
  eta: z.number().min(0).max(1).default(0),
  /** Clip each step's estimate of the clean sample to [-1, 1] (for data scaled to [-1, 1]). */
  clipDenoised: z.boolean().default(false),
});

type Params = z.infer<typeof params>;

const sampler: SamplerDefinition<Params, DiffusionPlan> = {
  plan: (ctx) => planDiffusion(ctx, 'ddim'),
  run: async (ctx, plan) => {
    const { steps, eta, clipDenoised } = ctx.params;
    const loop = ctx.strided ? ddimLoop(ctx.strided, 1, clipDenoised) : ddimLoop(steps, eta, clipDenoised);
    return { kind: 'tensor', tensor: await denoise(ctx, plan, loop) };
  },
  output: diffusionOutput,
  export: {
    networks: diffusionNetworks,
    torch: (params, plan) => denoiseLoop(plan, params.guidance, { loop: 'ddim', steps: params.steps, eta: params.eta, clip_denoised: params.clipDenoised }),
  },
  chain: (plan, values) => {
    const length = scheduleLength(plan, values);
    return length === undefined ? undefined : { name: 'ddim', steps: Math.min(length, (plan.op.params as Params).steps), everyStep: false };
  },
};

/** Generation for diffusion models in fewer steps: DDIM's strided, optionally deterministic sampler over the same denoiser. */
export const ddimSamplerNode = defineNode({
  kind: 'DDIMSampler',
  category: 'sampler',
  title: 'DDIM sampler',
  description: "Generates samples with DDIM: a strided subset of the schedule's steps, deterministic at eta = 0, so far fewer denoiser runs than DDPM.",
  params,
  ports: {
    inputs: [
      { name: 'prediction', type: 'tensor', doc: "the denoiser's eps prediction" },
      { name: 'schedule', type: 'schedule' },
      conditionPort,
    ],
    outputs: [{ name: 'samples', type: 'tensor' }],
  },
  infer: ({ inputs, params }) => {
    const prediction = input(inputs, 'prediction');
    if (prediction[0] !== 'B' || prediction.length < 2) throw mismatch('prediction', 'a per-example eps prediction [B, ...]', prediction);
    const total = scheduleSteps(inputs);
    if (params.steps > total) throw new ShapeError('GC107', { param: 'steps', reason: `${params.steps} is more than the schedule's ${total} steps` });
    return { samples: prediction };
  },
  phase: 'sample',
  sampler,
  summary: (p) => `${p.count} · ${p.steps} steps · eta ${p.eta}${p.clipDenoised ? ' · clip' : ''}${p.guidance > 0 ? ` · guidance ${p.guidance}` : ''}`,
});
