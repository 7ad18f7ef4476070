import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, lastDim, zSize } from './common.ts';
import { defineNode } from './types.ts';

/**
 * A linear projection whose kernel and bias start at zero. As the last layer
 * of a coupling's s and t networks it makes every coupling start as the
 * identity (s = t = 0), which keeps a deep flow stable at the start (Glow's
 * "zero initialization").
 */
export const zeroDenseNode = defineNode({
  kind: 'ZeroDense',
  category: 'layer',
  title: 'Zero-init dense',
  description: 'A linear layer y = x · W + b over the last axis whose weights start at zero, so the block it ends starts as the identity.',
  params: z.strictObject({ units: zSize(65536, 2) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    lastDim(x, 'x');
    return { y: [...x.slice(0, -1), params.units] };
  },
  variables: ({ inputs, params }) => {
    const fanIn = lastDim(input(inputs, 'x'), 'x');
    return [
      { name: 'kernel', shape: [fanIn, params.units], init: { kind: 'zeros' } },
      { name: 'bias', shape: [params.units], init: { kind: 'zeros' } },
    ];
  },
  forward: ({ inputs, vars, params }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      const flat = (x.rank === 2 ? x : tf.reshape(x, [-1, x.shape[x.rank - 1]!])) as tf.Tensor2D;
      const y = tf.add(tf.matMul(flat, vars.kernel as tf.Tensor2D), vars.bias!);
      return { y: x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), params.units]) };
    }),
  summary: (p) => `${p.units} · zero init`,
});
