import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input, scaleBy, zLossFields } from './common.ts';
import { defineNode } from './types.ts';

/** DDPM's simplified objective (Ho et al. L_simple): how well the denoiser predicts the added noise. */
export const diffusionLossNode = defineNode({
  kind: 'DiffusionLoss',
  category: 'objective',
  title: 'Diffusion loss',
  description: "Mean squared error between the denoiser's predicted noise and the noise Diffuse actually added (DDPM's epsilon objective).",
  params: z.strictObject({ ...zLossFields }),
  ports: {
    inputs: [{ name: 'prediction', type: 'tensor', doc: 'predicted eps' }, { name: 'noise', type: 'tensor', doc: 'the true eps' }],
    outputs: [{ name: 'loss', type: 'loss' }],
  },
  infer: ({ inputs }) => {
    const prediction = input(inputs, 'prediction');
    const noise = input(inputs, 'noise');
    if (!sameShape(prediction, noise)) {
      throw new ShapeError('GC106', { port: 'noise', expected: `the prediction's shape ${formatShape(prediction)}`, got: noise }, 'noise');
    }
    return { loss: [] };
  },
  forward: ({ inputs, params, constants }) => ({
    loss: tf.tidy(() => scaleBy(tf.mean(tf.squaredDifference(inputs.prediction!, inputs.noise!)), params.weight, constants)),
  }),
  torch: { module: ({ params }) => ({ class: 'DiffusionLoss', args: { weight: params.weight } }) },
  summary: (p) => `eps MSE · ${p.objective}`,
});
