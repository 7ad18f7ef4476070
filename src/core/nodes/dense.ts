import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { activateFused, activationGradientKernel, DERIVATIVE_FROM_OUTPUT } from './activation.ts';
import { activate, ACTIVATIONS, expectRank, fusedActivation, glorot, input, lastDim, LEAKY_RELU_ALPHA, positionwise, zActivation, zSize, type ActivationName } from './common.ts';
import { columnSumKernel, runFused } from './fused.ts';
import { ownOrTied, zTiedTo } from './tying.ts';
import { defineNode, type Init, type VariableSpec } from './types.ts';

// ---------------------------------------------------------------- fused form
//
// TF.js fuses bias and activation into the product only outside gradients:
// under tf.variableGrads its fused matMul falls back to a product, an add
// and the activation, and its gradient to a step, a product, and a
// transpose and a sum for the bias. Here the product runs TF.js's own
// _FusedMatMul kernel with the bias and (relu, sigmoid, leakyRelu) the
// activation inside; other activations follow as one element-wise kernel
// (activation.ts). Backward: dy·f' in one kernel, the two products, and the
// bias's column sum in one kernel.

/** Activations TF.js's _FusedMatMul runs inside the product, by its names. */
const IN_PRODUCT: Partial<Record<ActivationName, string>> = { linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', leakyRelu: 'leakyrelu' };

function product(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor | undefined, transposeB: boolean, activation: string): tf.Tensor2D {
  const [rows] = x.shape;
  const units = transposeB ? kernel.shape[0] : kernel.shape[1];
  const inputs: Record<string, tf.Tensor> = { a: tf.reshape(x, [1, ...x.shape]), b: tf.reshape(kernel, [1, ...kernel.shape]) };
  if (bias) inputs.bias = bias;
  const out = tf.engine().runKernel('_FusedMatMul', inputs as unknown as tf.NamedTensorMap, {
    transposeA: false,
    transposeB,
    activation,
    leakyreluAlpha: LEAKY_RELU_ALPHA,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  return tf.reshape(out, [rows, units]);
}

/** y = f(x·W + b) for x [rows, features], W [features, units] (or [units, features] with transposeB), with its own gradient. */
export function denseFused(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor | undefined, activation: ActivationName, transposeB: boolean): tf.Tensor2D {
  const inProduct = IN_PRODUCT[activation];
  const fromOutput = DERIVATIVE_FROM_OUTPUT.has(activation);
  const run = (a: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor | undefined, save: tf.GradSaveFunc) => {
    const z = product(a, w, b, transposeB, inProduct ?? 'linear');
    const y = inProduct ? z : (activateFused(z, activation) as tf.Tensor2D);
    // f' from the output where it can be (so z need not be kept), else from z.
    save([a, w, fromOutput ? y : z]);
    const gradFunc = (dy: tf.Tensor2D, [a, w, s]: tf.Tensor[]) => {
      const dz = activation === 'linear' ? dy : runFused(activationGradientKernel, { dy, s: s! }, { fn: ACTIVATIONS.indexOf(activation), fromOutput: fromOutput ? 1 : 0 });
      const grads = [transposeB ? tf.matMul(dz, w!) : tf.matMul(dz, w!, false, true), transposeB ? tf.matMul(dz, a!, true, false) : tf.matMul(a!, dz, true, false)];
      return b ? [...grads, runFused(columnSumKernel, { dy: dz }, {})] : grads;
    };
    return { value: y, gradFunc };
  };
  // customGrad passes the tensors, then the save function.
  const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [a, w, b] = args as tf.Tensor[];
    return run(a as tf.Tensor2D, w as tf.Tensor2D, b, save);
  });
  return (bias ? fused(x, kernel, bias) : fused(x, kernel)) as tf.Tensor2D;
}

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
  forward: ({ inputs, vars, params, fused: fusedKernels }) => {
    const y = tf.tidy(() => {
      const x = inputs.x!;
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, x.shape[x.rank - 1]!]);
      if (fusedKernels) {
        const out = denseFused(flat as tf.Tensor2D, vars.kernel as tf.Tensor2D, params.useBias ? vars.bias : undefined, params.activation, params.tiedTo !== '');
        return x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), params.units]);
      }
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
