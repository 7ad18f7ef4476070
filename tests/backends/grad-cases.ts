/**
 * Forward and backward checks of the ops that the node kinds train through
 * (and a few near them), small enough to run on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradCase } from './grad-check.ts';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const t4 = (x: tf.Tensor) => x as tf.Tensor4D;
const t2 = (x: tf.Tensor) => x as tf.Tensor2D;
const t3 = (x: tf.Tensor) => x as tf.Tensor3D;

export function convCase(
  x: [number, number, number, number],
  k: [number, number],
  outC: number,
  strides: number | [number, number],
  pad: Pad,
): GradCase {
  const name = `conv2d x${x.join('x')} k${k.join('x')}x${outC} s${strides} ${JSON.stringify(pad)}`;
  return {
    name,
    inputs: [{ shape: x }, { shape: [k[0], k[1], x[3], outC] }],
    f: (a, w) => tf.conv2d(t4(a), t4(w), strides, pad),
  };
}

export function convTransposeCase(
  x: [number, number, number, number],
  k: number,
  outC: number,
  outHW: [number, number],
  strides: number,
  pad: 'same' | 'valid',
): GradCase {
  return {
    name: `conv2dTranspose x${x.join('x')} k${k} -> ${outHW.join('x')}x${outC} s${strides} ${pad}`,
    inputs: [{ shape: x }, { shape: [k, k, outC, x[3]] }],
    f: (a, w) => tf.conv2dTranspose(t4(a), t4(w), [x[0], outHW[0], outHW[1], outC], strides, pad),
  };
}

export function poolCase(
  kind: 'max' | 'avg',
  x: [number, number, number, number],
  size: number | [number, number],
  strides: number | [number, number],
  pad: 'same' | 'valid' | number,
): GradCase {
  const op = kind === 'max' ? tf.maxPool : tf.avgPool;
  return {
    name: `${kind}Pool x${x.join('x')} k${size} s${strides} ${JSON.stringify(pad)}`,
    inputs: [{ shape: x }],
    f: (a) => op(t4(a), size, strides, pad),
  };
}

export function depthwiseCase(x: [number, number, number, number], k: number, mult: number, strides: number, pad: 'same' | 'valid' | number): GradCase {
  return {
    name: `depthwiseConv2d x${x.join('x')} k${k} x${mult} s${strides} ${JSON.stringify(pad)}`,
    inputs: [{ shape: x }, { shape: [k, k, x[3], mult] }],
    f: (a, w) => tf.depthwiseConv2d(t4(a), t4(w), strides, pad),
  };
}

export function gatherCase(table: number[], idx: number[], axis = 0): GradCase {
  return {
    name: `gather table ${table.join('x')} idx ${idx.join('x')} axis ${axis}`,
    inputs: [{ shape: table }, { shape: idx, dtype: 'int32', maxInt: table[axis] }],
    f: (tb, i) => tf.gather(tb, i, axis),
  };
}

const unary = (name: string, f: (x: tf.Tensor) => tf.Tensor, positive = false): GradCase => ({
  name,
  inputs: [{ shape: [3, 5], positive }],
  f,
});

export const trainingOpCases: GradCase[] = [
  // Convolutions.
  convCase([2, 7, 7, 3], [3, 3], 4, 1, 'same'),
  convCase([2, 7, 7, 3], [3, 3], 4, 1, 'valid'),
  convCase([2, 7, 7, 3], [3, 3], 4, 2, 'same'),
  convCase([2, 7, 7, 3], [3, 3], 4, 2, 'valid'),
  convCase([1, 8, 9, 2], [2, 2], 3, 2, 'same'),
  convCase([1, 6, 5, 2], [3, 3], 2, 1, 1),
  convCase([1, 6, 5, 2], [3, 2], 2, 1, [[0, 0], [1, 2], [0, 1], [0, 0]]),
  {
    name: 'fused conv2d bias linear',
    inputs: [{ shape: [2, 6, 6, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
    f: (a, w, b) => tf.fused.conv2d({ x: t4(a), filter: t4(w), strides: 2, pad: 'same', bias: b }),
  },
  {
    name: 'fused conv2d bias relu',
    inputs: [{ shape: [2, 6, 6, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
    f: (a, w, b) => tf.fused.conv2d({ x: t4(a), filter: t4(w), strides: 1, pad: 'same', bias: b, activation: 'relu' }),
  },
  convTransposeCase([2, 4, 4, 3], 3, 2, [8, 8], 2, 'same'),
  convTransposeCase([1, 3, 5, 2], 4, 3, [6, 10], 2, 'same'),
  convTransposeCase([1, 4, 4, 2], 3, 3, [6, 6], 1, 'valid'),
  convTransposeCase([1, 3, 3, 2], 3, 2, [7, 7], 2, 'valid'),
  depthwiseCase([2, 6, 5, 3], 3, 2, 1, 'same'),
  depthwiseCase([1, 7, 7, 2], 3, 1, 2, 'valid'),
  // Pooling.
  poolCase('max', [2, 6, 6, 3], 2, 2, 'valid'),
  poolCase('max', [1, 7, 7, 2], 2, 2, 'valid'),
  poolCase('max', [1, 7, 7, 2], 2, 2, 'same'),
  poolCase('max', [2, 7, 5, 3], 3, 2, 'same'),
  poolCase('max', [1, 6, 6, 2], 3, 1, 'same'),
  poolCase('max', [1, 6, 6, 2], 3, 1, 'valid'),
  poolCase('avg', [2, 6, 6, 3], 2, 2, 'valid'),
  poolCase('avg', [1, 7, 7, 2], 2, 2, 'same'),
  poolCase('avg', [2, 7, 5, 3], 3, 2, 'same'),
  poolCase('avg', [1, 6, 6, 2], 3, 1, 'same'),
  // Gathers (Embedding, Permute).
  gatherCase([10, 4], [2, 5]),
  gatherCase([7, 3], [12]),
  gatherCase([2, 3, 6], [6], 2),
  {
    name: 'unsortedSegmentSum',
    inputs: [{ shape: [6, 3] }, { shape: [6], dtype: 'int32', maxInt: 4 }],
    f: (x, ids) => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 4),
  },
  // Dense and attention.
  {
    name: 'fused matMul bias linear',
    inputs: [{ shape: [5, 4] }, { shape: [4, 3] }, { shape: [3] }],
    f: (a, b, c) => tf.fused.matMul({ a: t2(a), b: t2(b), bias: c }),
  },
  {
    name: 'fused matMul bias relu',
    inputs: [{ shape: [5, 4] }, { shape: [4, 3] }, { shape: [3] }],
    f: (a, b, c) => tf.fused.matMul({ a: t2(a), b: t2(b), bias: c, activation: 'relu' }),
  },
  {
    name: 'fused matMul bias sigmoid',
    inputs: [{ shape: [5, 4] }, { shape: [4, 3] }, { shape: [3] }],
    f: (a, b, c) => tf.fused.matMul({ a: t2(a), b: t2(b), bias: c, activation: 'sigmoid' }),
  },
  {
    name: 'attention scores, rank 4',
    inputs: [{ shape: [2, 2, 5, 3] }, { shape: [2, 2, 5, 3] }, { shape: [2, 2, 5, 3] }],
    f: (q, k, v) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 0.5)), v),
  },
  {
    name: 'matMul transposeA and both',
    inputs: [{ shape: [4, 5] }, { shape: [4, 3] }, { shape: [2, 4] }],
    f: (a, b, c) => tf.add(tf.matMul(t2(a), t2(b), true, false), tf.sum(tf.matMul(t2(a), t2(c), true, true), 1, true)),
  },
  {
    name: 'batched matMul transposeB',
    inputs: [{ shape: [2, 4, 3] }, { shape: [2, 5, 3] }],
    f: (a, b) => tf.matMul(t3(a), t3(b), false, true),
  },
  // Elementwise.
  unary('relu', tf.relu),
  unary('leakyRelu', (x) => tf.leakyRelu(x, 0.2)),
  unary('elu', tf.elu),
  unary('sigmoid', tf.sigmoid),
  unary('tanh', tf.tanh),
  unary('softplus', tf.softplus),
  unary('exp', tf.exp),
  unary('log', tf.log, true),
  unary('log1p', tf.log1p, true),
  unary('abs', tf.abs),
  unary('sqrt', tf.sqrt, true),
  unary('rsqrt', tf.rsqrt, true),
  unary('square', tf.square),
  unary('erf', tf.erf),
  unary('sin', tf.sin),
  unary('cos', tf.cos),
  unary('neg', tf.neg),
  unary('pow x^3', (x) => tf.pow(x, 3)),
  unary('clipByValue', (x) => tf.clipByValue(x, -0.5, 0.7)),
  unary('gelu (tanh form)', (x) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(0.79788456, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))),
  unary('silu', (x) => tf.mul(x, tf.sigmoid(x))),
  {
    name: 'pow x^y',
    inputs: [{ shape: [3, 4], positive: true }, { shape: [3, 4] }],
    f: (x, y) => tf.pow(x, y),
  },
  {
    name: 'div, sub, mul broadcast',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4], positive: true }, { shape: [3, 1] }],
    f: (a, b, c) => tf.mul(tf.sub(tf.div(a, b), c), c),
  },
  {
    name: 'maximum',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    f: (a, b) => tf.maximum(a, b),
  },
  {
    name: 'squaredDifference',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    f: (a, b) => tf.squaredDifference(a, b),
  },
  // Softmax family.
  { name: 'softmax', inputs: [{ shape: [4, 6] }], f: (x) => tf.softmax(x) },
  { name: 'logSoftmax', inputs: [{ shape: [4, 6] }], f: (x) => tf.logSoftmax(x) },
  { name: 'logSumExp', inputs: [{ shape: [4, 6] }], f: (x) => tf.logSumExp(x, -1) },
  {
    name: 'cross entropy via oneHot',
    inputs: [{ shape: [6, 5] }, { shape: [6], dtype: 'int32', maxInt: 5 }],
    f: (logits, t) => tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(t, 5)), -1),
  },
  // Reductions and normalisation.
  { name: 'sum axis 1', inputs: [{ shape: [3, 4, 2] }], f: (x) => tf.sum(x, 1) },
  { name: 'mean', inputs: [{ shape: [3, 4, 2] }], f: (x) => tf.mean(x, [0, 2]) },
  { name: 'max reduce', inputs: [{ shape: [3, 5] }], f: (x) => tf.max(x, -1) },
  { name: 'min reduce', inputs: [{ shape: [3, 5] }], f: (x) => tf.min(x, 0) },
  {
    name: 'moments normalise',
    inputs: [{ shape: [4, 6] }],
    f: (x) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    },
  },
  {
    name: 'moments over image axes',
    inputs: [{ shape: [2, 3, 3, 4] }],
    f: (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3)));
    },
  },
  {
    name: 'batchNorm',
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [4] }, { shape: [4], positive: true }, { shape: [4] }, { shape: [4] }],
    f: (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3),
  },
  { name: 'cumsum', inputs: [{ shape: [3, 5] }], f: (x) => tf.cumsum(x, 1) },
  { name: 'cumsum exclusive reverse', inputs: [{ shape: [3, 5] }], f: (x) => tf.cumsum(x, 1, true, true) },
  // Shapes and layout.
  { name: 'tile', inputs: [{ shape: [2, 3] }], f: (x) => tf.tile(x, [2, 3]) },
  {
    name: 'upsample by tile',
    inputs: [{ shape: [2, 3, 3, 2] }],
    f: (x) => {
      const wide = tf.reshape(tf.tile(tf.reshape(x, [6, 3, 1, 2]), [1, 1, 2, 1]), [6, 1, 6, 2]);
      return tf.reshape(tf.tile(wide, [1, 2, 1, 1]), [2, 6, 6, 2]);
    },
  },
  {
    name: 'concat axis 1',
    inputs: [{ shape: [2, 3, 2] }, { shape: [2, 1, 2] }],
    f: (a, b) => tf.concat([a, b], 1),
  },
  {
    name: 'concat last axis',
    inputs: [{ shape: [2, 3, 2] }, { shape: [2, 3, 5] }],
    f: (a, b) => tf.concat([a, b], -1),
  },
  {
    name: 'split and recombine',
    inputs: [{ shape: [2, 3, 6] }],
    f: (x) => {
      const [a, b, c] = tf.split(x, [1, 2, 3], -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return tf.concat([tf.mul(a, 2), tf.sum(b, -1, true), tf.exp(c)], -1);
    },
  },
  { name: 'slice', inputs: [{ shape: [3, 5, 4] }], f: (x) => tf.slice(x, [1, 1, 0], [2, 3, 3]) },
  { name: 'transpose', inputs: [{ shape: [2, 3, 4, 5] }], f: (x) => tf.transpose(x, [0, 2, 1, 3]) },
  { name: 'pad', inputs: [{ shape: [2, 3] }], f: (x) => tf.pad(x, [[1, 0], [2, 1]]) },
  { name: 'mirrorPad', inputs: [{ shape: [3, 4] }], f: (x) => tf.mirrorPad(x, [[1, 1], [2, 1]], 'reflect') },
  { name: 'reverse', inputs: [{ shape: [3, 4] }], f: (x) => tf.reverse(x, 1) },
  {
    name: 'stack and unstack',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    f: (a, b) => {
      const rows = tf.unstack(tf.stack([a, b], 1));
      return tf.concat(rows.map((r, i) => tf.mul(r, i + 1)), 0);
    },
  },
  {
    name: 'where',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    f: (a, b) => tf.where(tf.greaterEqual(a, b), tf.mul(a, 2), b),
  },
  {
    name: 'broadcastTo',
    inputs: [{ shape: [1, 4] }],
    f: (x) => tf.broadcastTo(x, [3, 4]),
  },
];
