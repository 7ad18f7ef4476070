import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineNode } from './types.ts';

/** Fresh random tensors every step: the latent of a GAN, the prior of a sampler. */
export const noiseNode = defineNode({
  kind: 'Noise',
  category: 'data',
  title: 'Noise',
  description: 'Fresh random numbers every step, standard normal or uniform on [-1, 1), shaped [B, ...shape].',
  params: z.strictObject({
    shape: z.array(z.int().min(1).max(65536)).min(1).max(3).default([64]),
    distribution: z.enum(['normal', 'uniform']).default('normal'),
  }),
  ports: { inputs: [], outputs: [{ name: 'z', type: 'tensor' }] },
  infer: ({ params }) => ({ z: ['B', ...params.shape] }),
  forward: ({ params, outputShapes, random }) => {
    const shape = outputShapes.z!;
    if (params.distribution === 'normal') return { z: random.normal(shape) };
    return { z: tf.tidy(() => tf.sub(tf.mul(random.uniform(shape), 2), 1)) };
  },
  torch: { module: ({ params }) => ({ class: 'Noise', args: { shape: params.shape, distribution: params.distribution }, context: true }) },
  summary: (p) => `${p.distribution} [B, ${p.shape.join(', ')}]`,
});
