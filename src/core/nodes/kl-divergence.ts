import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { expectRank, input, sumPerExample, zLossFields } from './common.ts';
import { scaledSumFused, type PairTerm } from './fused.ts';
import { defineNode } from './types.ts';

/** The KL of N(mu, e^logvar) from N(0, 1) per element, a = mu, b = logvar; fused form: the whole loss in one kernel. */
export const GAUSSIAN_KL: PairTerm = {
  name: 'gaussian_kl',
  value: (a, b) => -0.5 * (1 + b - a * a - Math.exp(b)),
  da: (a) => a,
  db: (_a, b) => 0.5 * (Math.exp(b) - 1),
  wgsl: { value: '-0.5 * (1.0 + b - a * a - exp(b))', da: 'a', db: '0.5 * (exp(b) - 1.0)' },
};

/**
 * The VAE's regulariser: KL(N(mu, exp(logvar)) || N(0, I)) in closed form,
 * summed over the latent and averaged over the batch (nats per example).
 * `weight` is a β-VAE's β (Higgins et al. 2017); `warmupSteps` N anneals it
 * linearly from 0 (Bowman et al. 2016): at the objective's update t the
 * weight is β · min(1, t / N). Outside training (no step) it is β.
 */
/** The weight at the objective's update `step`: β · min(1, step / warmupSteps); β when there is no step or no warm-up. */
export function klWeight(params: { weight: number; warmupSteps: number }, step: number | undefined): number {
  if (params.warmupSteps === 0 || step === undefined) return params.weight;
  return params.weight * Math.min(1, step / params.warmupSteps);
}

export const klDivergenceNode = defineNode({
  kind: 'KLDivergence',
  category: 'objective',
  title: 'KL divergence',
  description:
    "How far the encoder's Gaussian N(mu, exp(logvar)) is from the standard normal prior, in nats per example: the VAE's second loss term. weight is a β-VAE's β; warmupSteps anneals it linearly from 0 to β over that many of the objective's updates (KL annealing).",
  params: z.strictObject({
    ...zLossFields,
    /** Updates over which the weight rises linearly from 0 to `weight`; 0 for none. */
    warmupSteps: z.int().min(0).max(10_000_000).default(0),
  }),
  ports: {
    inputs: [{ name: 'mu', type: 'tensor' }, { name: 'logvar', type: 'tensor' }],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const mu = input(inputs, 'mu');
    const logvar = input(inputs, 'logvar');
    expectRank(mu, 'mu', 2, 4, '[B, latent]');
    if (!sameShape(mu, logvar)) {
      throw new ShapeError('GC106', { port: 'logvar', expected: `the shape of mu, ${formatShape(mu)}`, got: logvar }, 'logvar');
    }
    return { loss: [] };
  },
  forward: ({ inputs, params, step, fused }) => ({
    loss: tf.tidy(() => {
      const mu = inputs.mu!;
      const logvar = inputs.logvar!;
      const fusedLoss = fused ? scaledSumFused(GAUSSIAN_KL, mu, logvar, klWeight(params, step) / mu.shape[0]!) : undefined;
      if (fusedLoss) return fusedLoss;
      // -0.5 · (1 + logvar − mu² − exp(logvar)), elementwise.
      const kl = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)));
      return tf.mul(tf.mean(sumPerExample(kl)), klWeight(params, step));
    }),
  }),
  // The warm-up reads the objective's update count, ctx.step.
  torch: { module: ({ params }) => ({ class: 'KLDivergence', args: { weight: params.weight, warmup_steps: params.warmupSteps }, context: true }) },
  summary: (p) => `${p.weight === 1 ? '' : `β ${p.weight} · `}${p.warmupSteps > 0 ? `warm-up ${p.warmupSteps} · ` : ''}${p.objective}`,
});
