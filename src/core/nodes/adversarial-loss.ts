import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input, mismatch, zLossFields } from './common.ts';
import { defineNode } from './types.ts';

/**
 * The non-saturating GAN loss (Goodfellow et al.) on discriminator logits,
 * with softplus for numerically safe log-sigmoids: −log σ(l) = softplus(−l),
 * −log(1 − σ(l)) = softplus(l).
 */
export const adversarialLossNode = defineNode({
  kind: 'AdversarialLoss',
  category: 'objective',
  title: 'Adversarial loss',
  description: "A GAN's loss from discriminator logits: the discriminator learns to tell real from fake, the generator to make fakes it calls real.",
  params: z.strictObject({
    side: z.enum(['discriminator', 'generator']).default('discriminator'),
    ...zLossFields,
  }),
  ports: {
    inputs: [
      { name: 'real', type: 'tensor', optional: true, doc: 'logits on real data (discriminator side)' },
      { name: 'fake', type: 'tensor', doc: 'logits on generated data' },
    ],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs, params }) => {
    const fake = input(inputs, 'fake');
    if (fake[0] !== 'B') throw mismatch('fake', 'logits with a batch axis first, e.g. [B, 1]', fake);
    if (params.side === 'discriminator') {
      const real = input(inputs, 'real');
      if (!sameShape(real, fake)) throw new ShapeError('GC106', { port: 'real', expected: `the shape of fake, ${formatShape(fake)}`, got: real }, 'real');
    }
    return { loss: [] };
  },
  forward: ({ inputs, params }) => ({
    loss: tf.tidy(() => {
      const fake = inputs.fake!;
      // The generator's side ignores a connected real input: its loss does not depend on it.
      const loss =
        params.side === 'generator'
          ? tf.mean(tf.softplus(tf.neg(fake)))
          : tf.add(tf.mean(tf.softplus(tf.neg(inputs.real!))), tf.mean(tf.softplus(fake)));
      return tf.mul(loss, params.weight);
    }),
  }),
  summary: (p) => `${p.side} · ${p.objective}`,
});
