import { z } from 'zod';
import { activate, input, positionwise, zActivation } from './common.ts';
import { defineNode } from './types.ts';

export const activationNode = defineNode({
  kind: 'Activation',
  category: 'layer',
  title: 'Activation',
  description: 'An elementwise nonlinearity: relu, leakyRelu (slope 0.2), gelu (tanh form), silu, tanh, sigmoid, softplus, exp.',
  params: z.strictObject({ fn: zActivation.default('relu') }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => ({ y: input(inputs, 'x') }),
  forward: ({ inputs, params }) => ({ y: activate(inputs.x!, params.fn) }),
  summary: (p) => p.fn,
  sequence: positionwise,
});
