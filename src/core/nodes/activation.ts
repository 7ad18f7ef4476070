import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { activate, ACTIVATIONS, input, LEAKY_RELU_ALPHA, positionwise, zActivation, type ActivationName } from './common.ts';
import { elementwiseProgram, runFused, WGSL_SQUASHING, type FusedKernel } from './fused.ts';
import { defineNode } from './types.ts';

// ---------------------------------------------------------------- fused form
//
// One element-wise kernel for the activation (gelu is seven TF.js kernels)
// and one for its gradient, dy·f'(x), from the input x or, for the kinds
// where f' is a function of f, from the output y (what a Dense layer whose
// product ran the activation keeps).

/** Activations whose derivative is a function of their output. */
export const DERIVATIVE_FROM_OUTPUT: ReadonlySet<ActivationName> = new Set(['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid', 'exp']);

interface ActivationAttrs {
  /** Index into ACTIVATIONS. */
  fn: number;
}
interface ActivationGradientAttrs extends ActivationAttrs {
  /** 1: the saved tensor is the output y (DERIVATIVE_FROM_OUTPUT); 0: the input x. */
  fromOutput: number;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_K = 0.044715;

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

type Scalar = (x: number) => number;

/** f, as JavaScript (a function per kind, chosen once per kernel, so that the loops stay monomorphic). */
function activationValue(fn: ActivationName): Scalar {
  switch (fn) {
    case 'linear':
      return (x) => x;
    case 'relu':
      return (x) => (x > 0 ? x : 0);
    case 'leakyRelu':
      return (x) => (x > 0 ? x : LEAKY_RELU_ALPHA * x);
    case 'gelu':
      return (x) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_K * x * x * x)));
    case 'silu':
      return (x) => x * sigmoid(x);
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return sigmoid;
    case 'softplus':
      return (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case 'exp':
      return Math.exp;
  }
}

/** f' from the input x, as JavaScript. */
function derivativeFromInput(fn: ActivationName): Scalar {
  switch (fn) {
    case 'gelu':
      return (x) => {
        const t = Math.tanh(GELU_C * (x + GELU_K * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x);
      };
    case 'silu':
      return (x) => {
        const s = sigmoid(x);
        return s * (1 + x * (1 - s));
      };
    case 'softplus':
      return sigmoid;
    default: {
      const value = activationValue(fn);
      const fromOutput = derivativeFromOutput(fn);
      return (x) => fromOutput(value(x));
    }
  }
}

/** f' from the output y = f(x), for DERIVATIVE_FROM_OUTPUT. */
function derivativeFromOutput(fn: ActivationName): Scalar {
  switch (fn) {
    case 'linear':
      return () => 1;
    case 'relu':
      return (y) => (y > 0 ? 1 : 0);
    case 'leakyRelu':
      return (y) => (y > 0 ? 1 : LEAKY_RELU_ALPHA);
    case 'tanh':
      return (y) => 1 - y * y;
    case 'sigmoid':
      return (y) => y * (1 - y);
    case 'exp':
      return (y) => y;
    default:
      throw new Error(`the derivative of ${fn} is not a function of its output`);
  }
}

/** WGSL: f(v). */
function wgslValue(fn: ActivationName): string {
  switch (fn) {
    case 'linear':
      return 'v';
    case 'relu':
      return 'max(v, 0.0)';
    case 'leakyRelu':
      return `select(${LEAKY_RELU_ALPHA} * v, v, v > 0.0)`;
    case 'gelu':
      return `0.5 * v * (1.0 + gcTanh(${GELU_C} * (v + ${GELU_K} * v * v * v)))`;
    case 'silu':
      return 'v * gcSigmoid(v)';
    case 'tanh':
      return 'gcTanh(v)';
    case 'sigmoid':
      return 'gcSigmoid(v)';
    case 'softplus':
      return 'max(v, 0.0) + log(1.0 + exp(-abs(v)))';
    case 'exp':
      return 'exp(v)';
  }
}

/** WGSL: f'(v) from the input v, for the kinds whose derivative is not taken from the output. */
function wgslDerivativeFromInput(fn: ActivationName): string | undefined {
  switch (fn) {
    case 'gelu':
      return `0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * ${GELU_C} * (1.0 + ${3 * GELU_K} * v * v)`;
    case 'silu':
      return 'gcSigmoid(v) * (1.0 + v * (1.0 - gcSigmoid(v)))';
    case 'softplus':
      return 'gcSigmoid(v)';
    default:
      return undefined;
  }
}

/** WGSL: f' from the output y, for DERIVATIVE_FROM_OUTPUT. */
function wgslDerivativeFromOutput(fn: ActivationName): string {
  switch (fn) {
    case 'linear':
      return '1.0';
    case 'relu':
      return 'select(0.0, 1.0, y > 0.0)';
    case 'leakyRelu':
      return `select(${LEAKY_RELU_ALPHA}, 1.0, y > 0.0)`;
    case 'tanh':
      return '1.0 - y * y';
    case 'sigmoid':
      return 'y * (1.0 - y)';
    case 'exp':
      return 'y';
    default:
      throw new Error(`the derivative of ${fn} is not a function of its output`);
  }
}

/** WGSL: fn gcValue(v), f itself. */
const wgslValueFunction = (fn: ActivationName) => `
  fn gcValue(v : f32) -> f32 { return ${wgslValue(fn)}; }`;

/** WGSL: fn gcValue(v) and fn gcDerivative(s), f' from s, the saved input or output. */
function wgslDerivativeFunctions(fn: ActivationName, fromOutput: boolean): string {
  const fromInput = wgslDerivativeFromInput(fn);
  const derivative =
    fromInput && !fromOutput
      ? `let v = s;${fn === 'gelu' ? ` let t = gcTanh(${GELU_C} * (v + ${GELU_K} * v * v * v));` : ''} return ${fromInput};`
      : `let y = ${fromOutput ? 's' : 'gcValue(s)'}; return ${wgslDerivativeFromOutput(fn)};`;
  return `${wgslValueFunction(fn)}
  fn gcDerivative(s : f32) -> f32 { ${derivative} }`;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** y = f(x), element by element; its gradient is activationGradientKernel from x. */
export const activationKernel: FusedKernel<ActivationAttrs> = {
  name: 'GcActivation',
  gradient: {
    kernelName: 'GcActivation',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => runFused(activationGradientKernel, { dy: dy as tf.Tensor, s: x! }, { fn: (attrs as unknown as ActivationAttrs).fn, fromOutput: 0 }) }),
  },
  inputs: ['x'],
  outputShape: ([x]) => x!,
  js: ({ inputs: [x], attrs, out }) => {
    const value = activationValue(ACTIVATIONS[attrs.fn]!);
    for (let i = 0; i < out.length; i++) out[i] = value(x![i]!);
  },
  wgsl: ([x], attrs) => {
    const fn = ACTIVATIONS[attrs.fn]!;
    return elementwiseProgram(fn, sizeOf(x!), 'result[i] = gcValue(x[i]);', { declarations: `${WGSL_SQUASHING}${wgslValueFunction(fn)}` });
  },
};

/** dx = dy·f'(x), with f' from the saved input or output `s`. */
export const activationGradientKernel: FusedKernel<ActivationGradientAttrs> = {
  name: 'GcActivationGradient',
  inputs: ['dy', 's'],
  outputShape: ([dy]) => dy!,
  js: ({ inputs: [dy, s], attrs, out }) => {
    const fn = ACTIVATIONS[attrs.fn]!;
    const derivative = attrs.fromOutput ? derivativeFromOutput(fn) : derivativeFromInput(fn);
    for (let i = 0; i < out.length; i++) out[i] = dy![i]! * derivative(s![i]!);
  },
  wgsl: ([dy], attrs) => {
    const fn = ACTIVATIONS[attrs.fn]!;
    return elementwiseProgram(`${fn}_${attrs.fromOutput}`, sizeOf(dy!), 'result[i] = dy[i] * gcDerivative(s[i]);', {
      declarations: `${WGSL_SQUASHING}${wgslDerivativeFunctions(fn, attrs.fromOutput === 1)}`,
    });
  },
};

/** An activation as one kernel (linear passes x through). */
export function activateFused(x: tf.Tensor, fn: ActivationName): tf.Tensor {
  return fn === 'linear' ? x : runFused(activationKernel, { x }, { fn: ACTIVATIONS.indexOf(fn) });
}

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
  forward: ({ inputs, params, fused }) => ({ y: fused ? activateFused(inputs.x!, params.fn) : activate(inputs.x!, params.fn) }),
  torch: { inline: (params, inputs) => ({ y: torchActivation(inputs.x!, params.fn) }) },
  summary: (p) => p.fn,
  sequence: positionwise,
});
