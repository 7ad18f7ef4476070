import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { formatShape, sameShape } from '../base/shape.ts';
import { chainLogdet, checkLogdet, expectRank, input, logdetInput, logdetOutput, scaleBy, sumPerExample } from './common.ts';
import { defineNode } from './types.ts';
import { freshConstants, type Constants } from './constants.ts';

/** The log-scale actually used: s_raw, or clamp · tanh(s_raw / clamp). */
function logScale(sRaw: tf.Tensor, clamp: number, constants: Constants = freshConstants): tf.Tensor {
  return clamp > 0 ? scaleBy(tf.tanh(scaleBy(sRaw, 1 / clamp, constants)), clamp, constants) : sRaw;
}

/**
 * RealNVP's affine coupling, y = x · exp(s) + t, with s and t computed from
 * the untouched half, so the Jacobian is triangular and log|det J| = sum(s).
 */
export const affineCouplingNode = defineNode({
  kind: 'AffineCoupling',
  category: 'flow',
  title: 'Affine coupling',
  description: 'Scales and shifts x by s and t computed elsewhere: y = x · exp(s) + t, adding sum(s) to the log-determinant.',
  params: z.strictObject({
    /**
     * Soft bound on the log-scale, s = clamp · tanh(s_raw / clamp); 0 turns it
     * off. Unbounded, one large s makes exp(s) overflow or vanish early in
     * training and the NLL explodes; the bound keeps every step's volume
     * change within exp(±clamp) while acting as the identity near 0.
     */
    clamp: z.number().min(0).max(100).default(0),
  }),
  ports: {
    inputs: [
      { name: 'x', type: 'tensor', doc: 'the half being transformed' },
      { name: 's', type: 'tensor', doc: 'log-scale, from the other half' },
      { name: 't', type: 'tensor', doc: 'shift, from the other half' },
      logdetInput,
    ],
    outputs: [{ name: 'y', type: 'tensor' }, logdetOutput],
  },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    for (const port of ['s', 't']) {
      const shape = input(inputs, port);
      if (!sameShape(shape, x)) throw new ShapeError('GC106', { port, expected: `the shape of x, ${formatShape(x)}`, got: shape }, port);
    }
    checkLogdet(inputs);
    return { y: x, logdet: ['B'] };
  },
  forward: ({ inputs, params, constants }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      const s = logScale(inputs.s!, params.clamp, constants);
      return {
        y: tf.add(tf.mul(x, tf.exp(s)), inputs.t!),
        logdet: chainLogdet(inputs.logdet, sumPerExample(s), x.shape[0]!),
      };
    }),
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    inverse: ({ outputs, inputs, params }) =>
      tf.tidy(() => {
        const s = logScale(inputs.s!, params.clamp);
        return { x: tf.mul(tf.sub(outputs.y!, inputs.t!), tf.exp(tf.neg(s))) };
      }),
  },
  torch: { module: ({ params }) => ({ class: 'AffineCoupling', args: { clamp: params.clamp } }) },
  summary: (p) => (p.clamp > 0 ? `clamp ${p.clamp}` : 'affine'),
});
