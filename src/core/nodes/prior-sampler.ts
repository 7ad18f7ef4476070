import { z } from 'zod';
import { input, mismatch, zSize } from './common.ts';
import { defineNode } from './types.ts';

/**
 * Generation for VAEs and GANs: the latent tensor of the training graph is
 * replaced by draws from the prior and the graph is run up to `output`.
 * The sampling runtime does the running; this node says what to run.
 */
export const priorSamplerNode = defineNode({
  kind: 'PriorSampler',
  category: 'sampler',
  title: 'Prior sampler',
  description: "Generates samples by feeding prior noise in place of the latent (a VAE's z, a GAN's noise) and reading the decoder or generator output.",
  params: z.strictObject({
    count: zSize(4096, 64),
    /** Standard normal, or uniform on [-1, 1) like the Noise node. */
    distribution: z.enum(['normal', 'uniform']).default('normal'),
    /** Applied to the output, e.g. sigmoid for a VAE decoder that outputs logits. */
    transform: z.enum(['none', 'sigmoid', 'tanh']).default('none'),
  }),
  ports: {
    inputs: [
      { name: 'latent', type: 'tensor', doc: 'the tensor replaced by prior noise' },
      { name: 'output', type: 'tensor', doc: 'the decoder or generator output' },
    ],
    outputs: [{ name: 'samples', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const latent = input(inputs, 'latent');
    if (latent[0] !== 'B') throw mismatch('latent', 'a per-example latent [B, ...]', latent);
    const output = input(inputs, 'output');
    if (output[0] !== 'B') throw mismatch('output', 'a per-example output [B, ...]', output);
    return { samples: output };
  },
  phase: 'sample',
  summary: (p) => `${p.count} · ${p.distribution}${p.transform === 'none' ? '' : ` · ${p.transform}`}`,
});
