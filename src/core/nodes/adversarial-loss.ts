import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input, mismatch, scaleBy, zLossFields } from './common.ts';
import { defineNode } from './types.ts';

/** The GAN losses on offer, named as in their papers. */
export const ADVERSARIAL_LOSSES = ['non-saturating', 'least-squares', 'hinge', 'wasserstein'] as const;
type AdversarialLossName = (typeof ADVERSARIAL_LOSSES)[number];

/**
 * Each loss as a mean over the batch of the discriminator's raw outputs d
 * (logits for the non-saturating loss, scores for the others):
 * - non-saturating (Goodfellow et al. 2014): D: −log σ(d_real) − log(1 − σ(d_fake)),
 *   G: −log σ(d_fake); with softplus for numerically safe log-sigmoids,
 *   −log σ(l) = softplus(−l), −log(1 − σ(l)) = softplus(l);
 * - least-squares (LSGAN, Mao et al. 2017, a = 0, b = c = 1): D: ½(d_real − 1)² + ½d_fake², G: ½(d_fake − 1)²;
 * - hinge (Lim & Ye 2017; SAGAN, BigGAN): D: relu(1 − d_real) + relu(1 + d_fake), G: −d_fake;
 * - wasserstein (WGAN, Arjovsky et al. 2017): D: d_fake − d_real, G: −d_fake. It estimates a
 *   Wasserstein distance only for a Lipschitz critic: `gradientPenalty` λ > 0 adds WGAN-GP's
 *   constraint (Gulrajani et al. 2017), λ · mean_i (‖∇D(x̂_i)‖₂ − 1)², the gradient of the critic
 *   at points x̂ between real and generated data (an Interpolate node, and the critic placed on
 *   them). The gradient comes from the compiler (`inputGradients`), so a training step
 *   differentiates it again (a second-order gradient). Any loss may take the penalty.
 */
function discriminatorLoss(kind: AdversarialLossName, real: tf.Tensor, fake: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'non-saturating':
      return tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake)));
    case 'least-squares':
      return tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(real, 1))), tf.mean(tf.square(fake))));
    case 'hinge':
      return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake))));
    case 'wasserstein':
      return tf.sub(tf.mean(fake), tf.mean(real));
  }
}

/** Keeps the norm's gradient finite where a critic's gradient is exactly zero (√0 has none). */
const NORM_EPSILON = 1e-12;

/** mean_i (‖g_i‖₂ − 1)², the norm over every axis but the batch's. */
export function gradientPenalty(gradient: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const flat = tf.reshape(gradient, [gradient.shape[0]!, -1]);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(flat), 1), NORM_EPSILON));
    return tf.mean(tf.square(tf.sub(norm, 1)));
  });
}

function generatorLoss(kind: AdversarialLossName, fake: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'non-saturating':
      return tf.mean(tf.softplus(tf.neg(fake)));
    case 'least-squares':
      return tf.mul(0.5, tf.mean(tf.square(tf.sub(fake, 1))));
    case 'hinge':
    case 'wasserstein':
      return tf.neg(tf.mean(fake));
  }
}

export const adversarialLossNode = defineNode({
  kind: 'AdversarialLoss',
  category: 'objective',
  title: 'Adversarial loss',
  description:
    "A GAN's loss from the discriminator's outputs: the discriminator learns to tell real from fake, the generator to make fakes it calls real. loss: non-saturating (logits, the original GAN's), least-squares (LSGAN), hinge (SAGAN, BigGAN) or wasserstein (WGAN, which needs a Lipschitz critic). gradientPenalty λ > 0 adds WGAN-GP's λ · mean (‖∇D(x̂)‖₂ − 1)² on the discriminator side: wire interpolates (an Interpolate node between real and generated data) and interpolateScores (the critic placed on them); training then takes a second-order gradient.",
  params: z.strictObject({
    side: z.enum(['discriminator', 'generator']).default('discriminator'),
    loss: z.enum(ADVERSARIAL_LOSSES).default('non-saturating'),
    /** λ of the gradient penalty (WGAN-GP uses 10); 0 for none. */
    gradientPenalty: z.number().min(0).max(1e4).default(0),
    ...zLossFields,
  }),
  ports: {
    inputs: [
      { name: 'real', type: 'tensor', optional: true, doc: 'discriminator outputs on real data (discriminator side)' },
      { name: 'fake', type: 'tensor', doc: 'discriminator outputs on generated data' },
      { name: 'interpolates', type: 'tensor', optional: true, doc: 'points between real and generated data where the gradient penalty is taken (an Interpolate node)' },
      { name: 'interpolateScores', type: 'tensor', optional: true, doc: 'the discriminator placed on interpolates: its outputs there' },
    ],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs, params }) => {
    const fake = input(inputs, 'fake');
    if (fake[0] !== 'B') throw mismatch('fake', 'outputs with a batch axis first, e.g. [B, 1]', fake);
    if (params.side === 'discriminator') {
      const real = input(inputs, 'real');
      if (!sameShape(real, fake)) throw new ShapeError('GC106', { port: 'real', expected: `the shape of fake, ${formatShape(fake)}`, got: real }, 'real');
    }
    if (params.gradientPenalty > 0) {
      if (params.side !== 'discriminator') throw new ShapeError('GC107', { param: 'gradientPenalty', reason: 'the gradient penalty constrains the discriminator; set it on the discriminator side' });
      const at = input(inputs, 'interpolates');
      if (at[0] !== 'B') throw mismatch('interpolates', 'points with a batch axis first, like the data', at);
      const scores = input(inputs, 'interpolateScores');
      if (!sameShape(scores, fake)) throw new ShapeError('GC106', { port: 'interpolateScores', expected: `the shape of fake, ${formatShape(fake)}`, got: scores }, 'interpolateScores');
    }
    return { loss: [] };
  },
  inputGradients: (p) => (p.side === 'discriminator' && p.gradientPenalty > 0 ? [{ name: 'penalty', of: 'interpolateScores', wrt: 'interpolates' }] : []),
  forward: ({ inputs, params, gradients, constants }) => ({
    loss: tf.tidy(() => {
      const fake = inputs.fake!;
      // The generator's side ignores a connected real input: its loss does not depend on it.
      let loss = params.side === 'generator' ? generatorLoss(params.loss, fake) : discriminatorLoss(params.loss, inputs.real!, fake);
      if (params.side === 'discriminator' && params.gradientPenalty > 0) {
        const gradient = gradients?.penalty;
        if (!gradient) throw new Error('the gradient penalty needs the gradient of interpolateScores with respect to interpolates, which the forward pass did not supply');
        loss = tf.add(loss, scaleBy(gradientPenalty(gradient), params.gradientPenalty, constants));
      }
      return scaleBy(loss, params.weight, constants);
    }),
  }),
  // With a gradient penalty, model.py passes gradients={'penalty': d interpolateScores / d interpolates}.
  torch: {
    module: ({ params }) => ({
      class: 'AdversarialLoss',
      args: { side: params.side, loss: params.loss, gradient_penalty: params.gradientPenalty, weight: params.weight },
    }),
  },
  summary: (p) => `${p.side}${p.loss === 'non-saturating' ? '' : ` · ${p.loss}`}${p.gradientPenalty > 0 ? ` · GP ${p.gradientPenalty}` : ''} · ${p.objective}`,
});
