import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { input } from './common.ts';
import { defineNode } from './types.ts';

/**
 * The VAE's reparameterization trick, z = mu + exp(logvar / 2) · eps with
 * eps ~ N(0, I), so gradients flow through mu and logvar.
 */
export const reparameterizeNode = defineNode({
  kind: 'Reparameterize',
  category: 'block',
  title: 'Reparameterize',
  description: 'Samples z = mu + exp(logvar / 2) · eps with eps ~ N(0, I): the VAE trick that lets gradients reach the encoder.',
  params: z.strictObject({}),
  ports: {
    inputs: [{ name: 'mu', type: 'tensor' }, { name: 'logvar', type: 'tensor' }],
    outputs: [{ name: 'z', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const mu = input(inputs, 'mu');
    const logvar = input(inputs, 'logvar');
    if (!sameShape(mu, logvar)) {
      throw new ShapeError('GC106', { port: 'logvar', expected: `the shape of mu, ${formatShape(mu)}`, got: logvar }, 'logvar');
    }
    return { z: mu };
  },
  // eps is drawn from ctx.random.
  torch: { module: () => ({ class: 'Reparameterize', args: {}, context: true }) },
  expand: ({ inputs }) => ({
    nodes: [
      { id: 'half', kind: 'ScaleShift', params: { scale: 0.5 } },
      { id: 'std', kind: 'Activation', params: { fn: 'exp' } },
      { id: 'eps', kind: 'Noise', params: { shape: input(inputs, 'mu').slice(1), distribution: 'normal' } },
      { id: 'scaled', kind: 'Multiply', params: {} },
      { id: 'z', kind: 'Add', params: {} },
    ],
    edges: [
      { from: ['half', 'y'], to: ['std', 'x'] },
      { from: ['std', 'y'], to: ['scaled', 'a'] },
      { from: ['eps', 'z'], to: ['scaled', 'b'] },
      { from: ['scaled', 'y'], to: ['z', 'b'] },
    ],
    inputs: { mu: [['z', 'a']], logvar: [['half', 'x']] },
    outputs: { z: ['z', 'y'] },
  }),
});
