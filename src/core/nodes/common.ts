/** Pieces shared by several node kinds. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { broadcastShapes, formatShape, type Shape } from '../base/shape.ts';
import type { Init, NodePorts, SequenceBehaviour, VariableSpec } from './types.ts';
import { freshConstants, type Constants } from './constants.ts';

export const ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'gelu', 'silu', 'tanh', 'sigmoid', 'softplus', 'exp'] as const;
export const zActivation = z.enum(ACTIVATIONS);
export type ActivationName = z.infer<typeof zActivation>;

/** Slope of leakyRelu for negative inputs, as in DCGAN. */
export const LEAKY_RELU_ALPHA = 0.2;

const GELU_C = Math.sqrt(2 / Math.PI);

export function activate(x: tf.Tensor, name: ActivationName): tf.Tensor {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, LEAKY_RELU_ALPHA);
    case 'gelu':
      // The tanh approximation (GPT-2's, PyTorch's approximate='tanh').
      return tf.tidy(() => {
        const inner = tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      });
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'exp':
      return tf.exp(x);
  }
}

/** Activations that TF.js fuses into matMul and conv2d kernels. */
export function fusedActivation(name: ActivationName): tf.fused.Activation | undefined {
  switch (name) {
    case 'linear':
      return 'linear';
    case 'relu':
      return 'relu';
    case 'sigmoid':
      return 'sigmoid';
    default:
      return undefined;
  }
}

/** Kinds that compute each position of a sequence from that position alone (a sampler may run them one position at a time). */
export const positionwise = (): SequenceBehaviour => ({ kind: 'positionwise' });

/** Positionwise when it works on the last axis only (Softmax, Concat). */
export const positionwiseOnLastAxis = (params: { axis: number }): SequenceBehaviour | undefined => (params.axis === -1 ? positionwise() : undefined);

/** Common int param: a size between 1 and `max`. */
export const zSize = (max: number, fallback: number) => z.int().min(1).max(max).default(fallback);

export const glorot = (fanIn: number, fanOut: number): Init => ({ kind: 'glorotUniform', fanIn, fanOut });

/** A normalisation's learned scale (from 1) and shift (from 0), one of each per channel of the last axis. */
export function channelScaleShift(channels: number): VariableSpec[] {
  return [
    { name: 'gamma', shape: [channels], init: { kind: 'ones' } },
    { name: 'beta', shape: [channels], init: { kind: 'zeros' } },
  ];
}

/** The input's shape, or a clear error when it is absent. */
export function input(inputs: Readonly<Record<string, Shape>>, port: string): Shape {
  const shape = inputs[port];
  if (!shape) throw new ShapeError('GC102', { port }, port);
  return shape;
}

/** Requires a rank between `min` and `max`, and a fixed (non-batch) last axis. */
export function expectRank(shape: Shape, port: string, min: number, max: number, what: string): void {
  if (shape.length < min || shape.length > max) {
    throw new ShapeError('GC106', { port, expected: what, got: shape }, port);
  }
}

/** The fixed size of the last axis. */
export function lastDim(shape: Shape, port: string): number {
  const d = shape[shape.length - 1];
  if (typeof d !== 'number') throw new ShapeError('GC106', { port, expected: 'a fixed last axis', got: shape }, port);
  return d;
}

export function mismatch(port: string, expected: string, got: Shape): ShapeError {
  return new ShapeError('GC106', { port, expected, got }, port);
}

export const describeShape = formatShape;

/** Loss nodes: which objective they belong to and their weight in it. */
export const zLossFields = {
  objective: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/).max(64).default('main'),
  weight: z.number().min(0).max(1e6).default(1),
};

/** Mean over the batch of a per-example loss of shape [B]. */
export function batchMean(perExample: tf.Tensor): tf.Tensor {
  return tf.mean(perExample);
}

/** Sums every axis but the first: [B, ...] -> [B]. */
export function sumPerExample(x: tf.Tensor): tf.Tensor {
  if (x.rank <= 1) return x;
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
  return tf.sum(x, axes);
}

/** Shape of an elementwise op on inputs a and b, broadcasting like NumPy. */
export function inferBroadcast(inputs: Readonly<Record<string, Shape>>): Record<string, Shape> {
  const a = input(inputs, 'a');
  const b = input(inputs, 'b');
  const y = broadcastShapes(a, b);
  if (!y) throw new ShapeError('GC106', { port: 'b', expected: `a shape that broadcasts with ${formatShape(a)}`, got: b }, 'b');
  return { y };
}

/** Flows: the running log|det J| per example, [B]; absent at the start of a chain. */
export const logdetInput = { name: 'logdet', type: 'tensor', optional: true, doc: 'log|det J| so far, per example [B]' } as const;
export const logdetOutput = { name: 'logdet', type: 'tensor', doc: 'log|det J| including this step, per example [B]' } as const;

/** A connected running log-determinant must be [B]. */
export function checkLogdet(inputs: Readonly<Record<string, Shape>>): void {
  const l = inputs.logdet;
  if (l && !(l.length === 1 && l[0] === 'B')) throw mismatch('logdet', 'a per-example log-determinant [B]', l);
}

/** x · factor, the factor's scalar made once per session; x itself when the factor is 1 (a loss's usual weight). */
export function scaleBy(x: tf.Tensor, factor: number, constants: Constants = freshConstants): tf.Tensor {
  return factor === 1 ? x : tf.mul(x, constants.scalar(factor));
}

/** logdet_in + own, starting from zero when nothing comes in; `own` is [B] or a scalar. */
export function chainLogdet(logdetIn: tf.Tensor | undefined, own: tf.Tensor | number | undefined, batch: number): tf.Tensor {
  if (own === undefined || own === 0) return logdetIn ?? tf.zeros([batch]);
  return tf.tidy(() => tf.add(logdetIn ?? tf.zeros([batch]), own));
}

/** Ports of a flow step over channels-last values ([B, D] or [B, H, W, C]) that adds to the running log-determinant. */
export const channelFlowPorts: NodePorts = {
  inputs: [{ name: 'x', type: 'tensor', doc: '[B, D] or [B, H, W, C]: channels last' }, logdetInput],
  outputs: [{ name: 'y', type: 'tensor' }, logdetOutput],
};

/** Shapes of such a step: y as x, the log-determinant per example. */
export function inferChannelFlow(inputs: Readonly<Record<string, Shape>>): Record<string, Shape> {
  const x = input(inputs, 'x');
  expectRank(x, 'x', 2, 4, '[B, D] or [B, H, W, C]');
  lastDim(x, 'x');
  checkLogdet(inputs);
  return { y: x, logdet: ['B'] };
}

/** Attention heads: how many parts the features of a position are cut into. */
export const zHeads = () => z.int().min(1).max(256).default(4);

/** The problem of a width that does not split into `heads` equal parts. */
export function headsError(width: number, heads: number): ShapeError {
  return new ShapeError('GC107', { param: 'heads', reason: `${width} features do not split evenly into ${heads} heads; choose a number of heads that divides ${width}` });
}

/** log softmax(logits)[target] over the last axis: logits [..., K], targets [...] -> [...]. */
export function targetLogProb(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = logits.shape[logits.rank - 1]!;
    const oneHot = tf.oneHot(tf.cast(tf.reshape(targets, [-1]), 'int32'), k);
    const picked = tf.sum(tf.mul(tf.reshape(tf.logSoftmax(logits), [-1, k]), oneHot), -1);
    return tf.reshape(picked, targets.shape);
  });
}

/** Ports of a two-input op: a, b -> y. */
export const BINARY_PORTS = {
  inputs: [{ name: 'a', type: 'tensor' }, { name: 'b', type: 'tensor' }],
  outputs: [{ name: 'y', type: 'tensor' }],
} as const satisfies NodePorts;
