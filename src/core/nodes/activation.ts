import { z } from 'zod';
import { activate, input, LEAKY_RELU_ALPHA, positionwise, zActivation, type ActivationName } from './common.ts';
import { defineNode } from './types.ts';

/** The activation `fn` of the Python expression x, as PyTorch writes it (leaky ReLU's slope 0.2, GELU's tanh form). */
export function torchActivation(x: string, fn: ActivationName): string {
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return `F.relu(${x})`;
    case 'leakyRelu':
      return `F.leaky_relu(${x}, ${LEAKY_RELU_ALPHA})`;
    case 'gelu':
      return `F.gelu(${x}, approximate='tanh')`;
    case 'silu':
      return `F.silu(${x})`;
    case 'tanh':
      return `torch.tanh(${x})`;
    case 'sigmoid':
      return `torch.sigmoid(${x})`;
    case 'softplus':
      return `F.softplus(${x})`;
    case 'exp':
      return `torch.exp(${x})`;
  }
}

export const activationNode = defineNode({
  kind: 'Activation',
  category: 'layer',
  title: 'Activation',
  description: 'An elementwise nonlinearity: relu, leakyRelu (slope 0.2), gelu (tanh form), silu, tanh, sigmoid, softplus, exp.',
  params: z.strictObject({ fn: zActivation.default('relu') }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => ({ y: input(inputs, 'x') }),
  forward: ({ inputs, params }) => ({ y: activate(inputs.x!, params.fn) }),
  torch: { inline: (params, inputs) => ({ y: torchActivation(inputs.x!, params.fn) }) },
  summary: (p) => p.fn,
  sequence: positionwise,
});
