import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { activate, expectRank, fusedActivation, glorot, input, lastDim, positionwise, zActivation, zSize } from './common.ts';
import { ownOrTied, zTiedTo } from './tying.ts';
import { defineNode, type Init, type VariableSpec } from './types.ts';

/** A fully connected layer on the last axis: y = act(x W + b). */
export const denseNode = defineNode({
  kind: 'Dense',
  category: 'layer',
  title: 'Dense',
  description: 'Fully connected layer over the last axis: y = activation(x · W + b); with `tiedTo`, W is another node\'s matrix transposed (tied embeddings).',
  params: z.strictObject({
    units: zSize(65536, 128),
    activation: zActivation.default('linear'),
    useBias: z.boolean().default(true),
    /** 'zeros' starts kernel and bias at zero: a block that ends with this layer starts as the identity, as in RealNVP/Glow (s = t = 0). */
    kernelInit: z.enum(['glorot', 'zeros']).default('glorot'),
    /** Weight tying: the id of a node whose matrix, transposed, is this kernel, one variable for both (an Embedding's table for a GPT's output layer, whose logits are then x · tableᵀ; a Dense's kernel for a tied autoencoder). That matrix must be units × features. */
    tiedTo: zTiedTo,
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    lastDim(x, 'x');
    return { y: [...x.slice(0, -1), params.units] };
  },
  variables: ({ inputs, params }) => {
    const fanIn = lastDim(input(inputs, 'x'), 'x');
    const kernelInit: Init = params.kernelInit === 'zeros' ? { kind: 'zeros' } : glorot(fanIn, params.units);
    // Tied, the kernel is the lender's units × features matrix, used transposed.
    const vars: VariableSpec[] = [params.tiedTo ? ownOrTied('kernel', [params.units, fanIn], kernelInit, params.tiedTo) : { name: 'kernel', shape: [fanIn, params.units], init: kernelInit }];
    if (params.useBias) vars.push({ name: 'bias', shape: [params.units], init: { kind: 'zeros' } });
    return vars;
  },
  forward: ({ inputs, vars, params }) => {
    const y = tf.tidy(() => {
      const x = inputs.x!;
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, x.shape[x.rank - 1]!]);
      const fused = fusedActivation(params.activation);
      // One fused kernel for matmul, bias and (where TF.js fuses it) the activation.
      let out: tf.Tensor = tf.fused.matMul({
        a: flat as tf.Tensor2D,
        b: vars.kernel as tf.Tensor2D,
        transposeB: params.tiedTo !== '',
        bias: params.useBias ? vars.bias : undefined,
        activation: fused ?? 'linear',
      });
      if (!fused) out = activate(out, params.activation);
      return x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), params.units]);
    });
    return { y };
  },
  lends: 'kernel',
  // A tied kernel is the lender's [units, features] matrix, nn.Linear's [out, in] as it stands: model.py assigns the lender's parameter,
  // or, lent by another Dense (whose nn.Linear holds that matrix transposed), ties it transposed (docs/export.md).
  torch: {
    tiesTransposed: true,
    module: ({ inputs, params }) => ({
      class: 'Dense',
      args: { in_features: lastDim(input(inputs, 'x'), 'x'), units: params.units, activation: params.activation, use_bias: params.useBias },
    }),
    weights: ({ params }) => ({ kernel: ['weight', params.tiedTo ? 'same' : 'linear'], ...(params.useBias ? { bias: ['bias', 'same'] as const } : {}) }),
  },
  summary: (p) => `${p.units}${p.activation === 'linear' ? '' : ` · ${p.activation}`}${p.kernelInit === 'zeros' ? ' · zero init' : ''}${p.tiedTo ? ` · ${p.tiedTo}ᵀ` : ''}`,
  sequence: positionwise,
});
