import { z } from 'zod';
import { input, mismatch, zSize } from './common.ts';
import { ExpansionBuilder, torchLayer } from './expansion-builder.ts';
import { defineNode } from './types.ts';

/** DDPM's timestep embedding: sinusoids, then a small MLP with SiLU. */
export const timeEmbeddingNode = defineNode({
  kind: 'TimeEmbedding',
  category: 'block',
  title: 'Time embedding',
  description: 'Turns diffusion timesteps [B] into learned vectors [B, dim]: a sinusoidal embedding followed by two Dense layers.',
  params: z.strictObject({
    dim: z.int().min(2).max(4096).multipleOf(2).default(64),
    hidden: zSize(16384, 256),
  }),
  ports: { inputs: [{ name: 't', type: 'tokens', doc: 'integer timesteps [B]' }], outputs: [{ name: 'emb', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const t = input(inputs, 't');
    if (t.length !== 1 || t[0] !== 'B') throw mismatch('t', 'one timestep per example, [B]', t);
    return { emb: ['B', params.dim] };
  },
  expand: ({ params }) => {
    const b = new ExpansionBuilder();
    const sin = b.add('sinusoid', 'SinusoidalEmbedding', { dim: params.dim }, { t: { input: 't' } });
    const fc1 = b.then(sin, 'fc1', 'Dense', { units: params.hidden, activation: 'silu' });
    b.output('emb', b.then(fc1, 'fc2', 'Dense', { units: params.dim }));
    return b.build();
  },
  torch: {
    module: ({ params }) => ({ class: 'TimeEmbedding', args: { dim: params.dim, hidden: params.hidden } }),
    weights: () => ({ ...torchLayer('fc1', 'fc1.', 'linear'), ...torchLayer('fc2', 'fc2.', 'linear') }),
  },
  summary: (p) => `${p.dim} (hidden ${p.hidden})`,
});
