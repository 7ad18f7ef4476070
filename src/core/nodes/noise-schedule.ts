import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Shape } from '../base/shape.ts';
import { input, mismatch } from './common.ts';
import { defineNode } from './types.ts';
import { freshConstants } from './constants.ts';

export const zNoiseScheduleParams = z.strictObject({
  steps: z.int().min(2).max(10000).default(1000),
  kind: z.enum(['linear', 'cosine']).default('linear'),
  /** Linear: beta of the first step (Ho et al. use 1e-4). */
  betaStart: z.number().min(1e-8).max(0.999).default(1e-4),
  /** Linear: beta of the last step (Ho et al. use 0.02). */
  betaEnd: z.number().min(1e-8).max(0.999).default(0.02),
  /** Cosine: the offset s that keeps the first betas from vanishing (Nichol & Dhariwal use 0.008). */
  cosineOffset: z.number().min(0).max(1).default(0.008),
});
export type NoiseScheduleParams = z.infer<typeof zNoiseScheduleParams>;

export interface ScheduleTables {
  betas: Float64Array;
  /** 1 − beta_t. */
  alphas: Float64Array;
  /** The running product of alphas: x_t = sqrt(alphaBar_t) x_0 + sqrt(1 − alphaBar_t) eps. */
  alphaBars: Float64Array;
}

/** Nichol & Dhariwal clip the cosine betas so the last steps do not collapse to pure noise in one jump. */
const MAX_COSINE_BETA = 0.999;

/** beta, alpha and alphaBar for every step t = 0 .. steps − 1, in double precision. */
export function scheduleTables(params: Pick<NoiseScheduleParams, 'steps' | 'kind' | 'betaStart' | 'betaEnd' | 'cosineOffset'>): ScheduleTables {
  const n = params.steps;
  const betas = new Float64Array(n);
  if (params.kind === 'linear') {
    for (let i = 0; i < n; i++) betas[i] = params.betaStart + ((params.betaEnd - params.betaStart) * i) / (n - 1);
  } else {
    const s = params.cosineOffset;
    const f = (u: number) => Math.cos((((u + s) / (1 + s)) * Math.PI) / 2) ** 2;
    for (let i = 0; i < n; i++) betas[i] = Math.min(1 - f((i + 1) / n) / f(i / n), MAX_COSINE_BETA);
  }
  const alphas = new Float64Array(n);
  const alphaBars = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    alphas[i] = 1 - betas[i]!;
    product *= alphas[i]!;
    alphaBars[i] = product;
  }
  return { betas, alphas, alphaBars };
}

/** Columns of the schedule tensor. */
export const SCHEDULE_BETA = 0;
export const SCHEDULE_ALPHA = 1;
export const SCHEDULE_ALPHA_BAR = 2;

/** The number of steps of a connected schedule, which must be [steps, 3]. */
export function scheduleSteps(inputs: Readonly<Record<string, Shape>>, port = 'schedule'): number {
  const shape = input(inputs, port);
  const steps = shape[0];
  if (shape.length !== 2 || shape[1] !== 3 || typeof steps !== 'number') throw mismatch(port, 'a noise schedule [steps, 3]', shape);
  return steps;
}

/** The DDPM noise schedule as one constant tensor that the diffusion nodes and samplers read. */
export const noiseScheduleNode = defineNode({
  kind: 'NoiseSchedule',
  category: 'block',
  title: 'Noise schedule',
  description: 'How much noise each diffusion step adds: a [steps, 3] table of beta, alpha = 1 − beta and alphaBar = ∏ alpha, linear or cosine.',
  params: zNoiseScheduleParams,
  ports: { inputs: [], outputs: [{ name: 'schedule', type: 'schedule' }] },
  // Not per example: the table has no batch axis.
  infer: ({ params }) => ({ schedule: [params.steps, 3] }),
  forward: ({ params, constants = freshConstants }) => {
    const table = () => {
      const { betas, alphas, alphaBars } = scheduleTables(params);
      const values = new Float32Array(params.steps * 3);
      for (let i = 0; i < params.steps; i++) {
        values[3 * i + SCHEDULE_BETA] = betas[i]!;
        values[3 * i + SCHEDULE_ALPHA] = alphas[i]!;
        values[3 * i + SCHEDULE_ALPHA_BAR] = alphaBars[i]!;
      }
      return tf.tensor2d(values, [params.steps, 3]);
    };
    // The output is the step's to dispose, a clone sharing the table's data (no copy): the table stays the
    // session's, or, made fresh, goes with the tidy.
    return { schedule: tf.tidy(() => tf.clone(constants.get(`noiseSchedule:${JSON.stringify(params)}`, table))) };
  },
  torch: {
    module: ({ params }) => ({
      class: 'NoiseSchedule',
      args: { steps: params.steps, kind: params.kind, beta_start: params.betaStart, beta_end: params.betaEnd, cosine_offset: params.cosineOffset },
    }),
  },
  summary: (p) => `${p.kind} · ${p.steps} steps`,
});
