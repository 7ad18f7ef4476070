import { z } from 'zod';
import { input, mismatch, zSize } from './common.ts';
import { ddimLoop } from './ddim-sampler.ts';
import { denoise, denoiseLoop, diffusionNetworks, diffusionOutput, guidanceParams, planDiffusion, scheduleLength, type DenoiseLoop, type DiffusionPlan } from './diffusion-sampling.ts';
import { scheduleSteps } from './noise-schedule.ts';
import type { SamplerDefinition } from './sampler-types.ts';
import { conditionParams, conditionPort } from './sampler-condition.ts';
import { defineNode } from './types.ts';

/** The schedule columns a step needs, as double or single precision arrays. */
export interface StepTables {
  betas: ArrayLike<number>;
  alphas: ArrayLike<number>;
  alphaBars: ArrayLike<number>;
}

export interface DdpmStepArgs {
  xt: ArrayLike<number>;
  /** The denoiser's epsilon prediction at (x_t, t). */
  eps: ArrayLike<number>;
  t: number;
  tables: StepTables;
  /** Standard normal draws, as long as x_t; unused (and optional) at t = 0. */
  noise?: ArrayLike<number>;
  /** Clip the implied x_0 to [-1, 1] and step from the posterior mean. */
  clip?: boolean;
  /** sigma_t² = beta_t, or the posterior's (1 − alphaBar_{t−1}) / (1 − alphaBar_t) · beta_t. */
  variance?: 'beta' | 'posterior';
}

/**
 * One ancestral step x_t → x_{t−1} (Ho et al. 2020, Algorithm 2):
 * x_{t−1} = (x_t − beta_t / sqrt(1 − alphaBar_t) · eps) / sqrt(alpha_t) + sigma_t z.
 */
export function ddpmStep({ xt, eps, t, tables, noise, clip = false, variance = 'beta' }: DdpmStepArgs): Float32Array {
  if (!Number.isInteger(t) || t < 0 || t >= tables.betas.length) throw new RangeError(`step ${t} is outside the schedule`);
  if (t > 0 && !noise) throw new Error(`ddpmStep at t = ${t} needs noise`);
  const beta = tables.betas[t]!;
  const alpha = tables.alphas[t]!;
  const alphaBar = tables.alphaBars[t]!;
  const alphaBarPrev = t > 0 ? tables.alphaBars[t - 1]! : 1;
  // The last step returns the mean: adding noise there would only blur the sample.
  const sigma = t === 0 ? 0 : Math.sqrt(variance === 'posterior' ? (beta * (1 - alphaBarPrev)) / (1 - alphaBar) : beta);
  // Posterior mean coefficients of x_0 and x_t (Ho et al. eq. 7), used when x_0 is clipped.
  const c0 = (beta * Math.sqrt(alphaBarPrev)) / (1 - alphaBar);
  const ct = ((1 - alphaBarPrev) * Math.sqrt(alpha)) / (1 - alphaBar);
  const out = new Float32Array(xt.length);
  for (let i = 0; i < xt.length; i++) {
    let mean: number;
    if (clip) {
      const x0 = (xt[i]! - Math.sqrt(1 - alphaBar) * eps[i]!) / Math.sqrt(alphaBar);
      mean = c0 * Math.min(1, Math.max(-1, x0)) + ct * xt[i]!;
    } else {
      mean = (xt[i]! - (beta / Math.sqrt(1 - alphaBar)) * eps[i]!) / Math.sqrt(alpha);
    }
    out[i] = sigma === 0 ? mean : mean + sigma * noise![i]!;
  }
  return out;
}

const params = z.strictObject({
  count: zSize(4096, 64),
  ...conditionParams,
  ...guidanceParams,
  /** Clip the predicted clean sample to [-1, 1] each step; for data scaled to that range, such as images. */
  clipDenoised: z.boolean().default(false),
  variance: z.enum(['beta', 'posterior']).default('beta'),
});

type Params = z.infer<typeof params>;

/** The ancestral loop: every step of the schedule, from the last to 0. */
function ddpmLoop({ clipDenoised, variance }: Params): DenoiseLoop {
  return {
    visits: (steps) => Array.from({ length: steps }, (_, i) => steps - 1 - i),
    step: ({ x, eps, t, tables, normals }) => ddpmStep({ xt: x, eps, t, tables, noise: t > 0 ? normals() : undefined, clip: clipDenoised, variance }),
  };
}

const sampler: SamplerDefinition<Params, DiffusionPlan> = {
  plan: (ctx) => planDiffusion(ctx, 'ddpm'),
  run: async (ctx, plan) => {
    const loop = ctx.strided ? ddimLoop(ctx.strided, 1, ctx.params.clipDenoised) : ddpmLoop(ctx.params);
    return { kind: 'tensor', tensor: await denoise(ctx, plan, loop) };
  },
  output: diffusionOutput,
  export: {
    networks: diffusionNetworks,
    torch: (params, plan) => denoiseLoop(plan, params.guidance, { loop: 'ddpm', clip_denoised: params.clipDenoised, variance: params.variance }),
  },
  chain: (plan, values) => {
    const steps = scheduleLength(plan, values);
    return steps === undefined ? undefined : { name: 'ddpm', steps, everyStep: true };
  },
};

/**
 * Generation for diffusion models: start from pure noise and run every step
 * of the schedule backwards with the trained denoiser, re-run on each x_t
 * and t in place of Diffuse's outputs.
 */
export const ddpmSamplerNode = defineNode({
  kind: 'DDPMSampler',
  category: 'sampler',
  title: 'DDPM sampler',
  description: "Generates samples with DDPM's ancestral loop: from pure noise, every step of the schedule removes the noise the denoiser predicts.",
  params,
  ports: {
    inputs: [
      { name: 'prediction', type: 'tensor', doc: "the denoiser's eps prediction" },
      { name: 'schedule', type: 'schedule' },
      conditionPort,
    ],
    outputs: [{ name: 'samples', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const prediction = input(inputs, 'prediction');
    if (prediction[0] !== 'B' || prediction.length < 2) throw mismatch('prediction', 'a per-example eps prediction [B, ...]', prediction);
    scheduleSteps(inputs);
    return { samples: prediction };
  },
  phase: 'sample',
  sampler,
  summary: (p) => `${p.count} · σ² ${p.variance}${p.clipDenoised ? ' · clip' : ''}${p.guidance > 0 ? ` · guidance ${p.guidance}` : ''}`,
});
