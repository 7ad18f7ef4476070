import { z } from 'zod';
import { input, mismatch, zSize } from './common.ts';
import { defineNode } from './types.ts';

/**
 * Generation for normalizing flows: z ~ N(0, temperature² I) at the end of
 * the flow chain, then every invertible node runs backwards to the data.
 */
export const flowInverseSamplerNode = defineNode({
  kind: 'FlowInverseSampler',
  category: 'sampler',
  title: 'Flow inverse sampler',
  description: 'Generates samples by drawing z from the standard normal (scaled by a temperature) and running the flow backwards to data space.',
  params: z.strictObject({
    count: zSize(4096, 64),
    /** Scales the prior's standard deviation; below 1 trades diversity for cleaner samples (Glow). */
    temperature: z.number().min(0).max(10).default(1),
  }),
  ports: {
    inputs: [{ name: 'latent', type: 'tensor', doc: 'z, the end of the flow chain' }],
    outputs: [{ name: 'samples', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const latent = input(inputs, 'latent');
    if (latent[0] !== 'B' || latent.length < 2) throw mismatch('latent', 'the flow output [B, ...]', latent);
    // Flows keep dimensions, so samples have the latent's shape.
    return { samples: latent };
  },
  phase: 'sample',
  summary: (p) => `${p.count} · T ${p.temperature}`,
});
