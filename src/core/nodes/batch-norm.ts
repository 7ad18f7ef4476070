import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { channelScaleShift, expectRank, input, lastDim } from './common.ts';
import { columnsProgram, columnSumKernel, elementwiseProgram, MAX_SUMMED, perColumnProgram, runFused, WORKGROUP, type FusedKernel } from './fused.ts';
import { defineNode } from './types.ts';

// ---------------------------------------------------------------- fused form
//
// x as [rows, channels], rows = every position of every example. Forward:
// the channels' statistics, then the normalisation, scale and shift (two
// kernels where the unfused chain runs about a dozen). Backward: dβ, dγ and
// dx, one kernel each.

interface Epsilon {
  epsilon: number;
}

/** [2, channels]: each channel's mean over the rows, then 1/√(variance + ε). */
const batchStatisticsKernel: FusedKernel<Epsilon> = {
  name: 'GcBatchNormStatistics',
  inputs: ['x'],
  outputShape: ([x]) => [2, x!.at(-1)!],
  js: ({ inputs: [x], shapes: [shape], attrs, out }) => {
    const cols = shape!.at(-1)!;
    const rows = x!.length / cols;
    const sums = new Float64Array(cols);
    const squares = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sums[c]! += x![r * cols + c]!;
    for (let c = 0; c < cols; c++) sums[c]! /= rows;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) squares[c]! += (x![r * cols + c]! - sums[c]!) ** 2;
    for (let c = 0; c < cols; c++) {
      out[c] = sums[c]!;
      out[cols + c] = 1 / Math.sqrt(squares[c]! / rows + attrs.epsilon);
    }
  },
  // A workgroup per channel, its threads taking every WORKGROUP-th row, as perColumnProgram.
  wgsl: ([x], attrs) =>
    columnsProgram(
      'statistics',
      x!,
      `var sum = 0.0;
    if (valid) { for (var row = i32(localId.x); row < uniforms.rows; row += ${WORKGROUP}) { sum += x[row * cols + c]; } }
    let mean = gcWorkgroupSum(sum, 0) / f32(uniforms.rows);
    var squares = 0.0;
    if (valid) { for (var row = i32(localId.x); row < uniforms.rows; row += ${WORKGROUP}) { let d = x[row * cols + c] - mean; squares += d * d; } }
    let rstd = inverseSqrt(gcWorkgroupSum(squares, 1) / f32(uniforms.rows) + uniforms.epsilon);
    if (valid && localId.x == 0u) { result[c] = mean; result[cols + c] = rstd; }`,
      [{ name: 'epsilon', value: attrs.epsilon, type: 'f32' }],
    ),
};

/** An element-wise kernel over x [rows, channels]; `value` is the WGSL of element i in channel c. */
const perElementProgram = (key: string, x: number[], value: string) =>
  elementwiseProgram(key, tf.util.sizeFromShape(x), `let cols = uniforms.cols;
    let c = i % cols;
    result[i] = ${value};`, { uniforms: [{ name: 'cols', value: x.at(-1)!, type: 'i32' }] });

/** y = (x − mean)·rstd·γ + β per channel. */
const batchNormalizeKernel: FusedKernel<object> = {
  name: 'GcBatchNormalize',
  inputs: ['x', 'statistics', 'gamma', 'beta'],
  outputShape: ([x]) => x!,
  js: ({ inputs: [x, statistics, gamma, beta], out }) => {
    const cols = gamma!.length;
    for (let i = 0; i < out.length; i++) {
      const c = i % cols;
      out[i] = (x![i]! - statistics![c]!) * statistics![cols + c]! * gamma![c]! + beta![c]!;
    }
  },
  wgsl: ([x]) => perElementProgram('forward', x!, '(x[i] - statistics[c]) * statistics[cols + c] * gamma[c] + beta[c]'),
};

/** dγ = Σ_rows dy·x̂ per channel. */
const batchScaleGradientKernel: FusedKernel<object> = {
  name: 'GcBatchNormScaleGradient',
  inputs: ['dy', 'x', 'statistics'],
  outputShape: ([, x]) => [x!.at(-1)!],
  js: ({ inputs: [dy, x, statistics], out }) => {
    const cols = out.length;
    out.fill(0);
    for (let i = 0; i < dy!.length; i++) {
      const c = i % cols;
      out[c]! += dy![i]! * (x![i]! - statistics![c]!) * statistics![cols + c]!;
    }
  },
  wgsl: ([dy]) => perColumnProgram('scale', dy!, 'dy[row * cols + c] * (x[row * cols + c] - statistics[c]) * statistics[cols + c]'),
};

/** dx = γ·rstd·(dy − (Σdy + x̂·Σ(dy·x̂))/N) per channel, N the rows, with the sums dβ and dγ. */
const batchInputGradientKernel: FusedKernel<object> = {
  name: 'GcBatchNormInputGradient',
  inputs: ['dy', 'x', 'statistics', 'gamma', 'dbeta', 'dgamma'],
  outputShape: ([, x]) => x!,
  js: ({ inputs: [dy, x, statistics, gamma, dbeta, dgamma], out }) => {
    const cols = gamma!.length;
    const rows = out.length / cols;
    for (let i = 0; i < out.length; i++) {
      const c = i % cols;
      const rstd = statistics![cols + c]!;
      const normed = (x![i]! - statistics![c]!) * rstd;
      out[i] = gamma![c]! * rstd * (dy![i]! - (dbeta![c]! + normed * dgamma![c]!) / rows);
    }
  },
  wgsl: ([, x]) =>
    perElementProgram(
      'dx',
      x!,
      'gamma[c] * statistics[cols + c] * (dy[i] - (dbeta[c] + (x[i] - statistics[c]) * statistics[cols + c] * dgamma[c]) / f32(uniforms.count / cols))',
    ),
};

/** Batch norm as TF.js ops: the reference the fused form is tested against, and what runs where it cannot. */
export function batchNormUnfused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    // Biased variance, as batch norm defines it; gradients flow through the statistics too.
    const { mean, variance } = tf.moments(x, axes);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}

/**
 * Batch norm in fused kernels with its own gradient, x of any rank with
 * channels last; undefined where one workgroup per channel would loop past
 * llvmpipe's limit (the caller runs the unfused ops).
 */
export function batchNormFused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor | undefined {
  const channels = x.shape.at(-1)!;
  // Two loops over the rows per thread.
  if (2 * (x.size / channels) > MAX_SUMMED) return undefined;
  // customGrad passes the tensors, then the save function.
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [flat, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const statistics = runFused(batchStatisticsKernel, { x: flat }, { epsilon });
    save([flat, g, statistics]);
    return {
      value: runFused(batchNormalizeKernel, { x: flat, statistics, gamma: g, beta: b }, {}),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, stats] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dbeta = runFused(columnSumKernel, { dy }, {});
        const dgamma = runFused(batchScaleGradientKernel, { dy, x: xs, statistics: stats }, {});
        return [runFused(batchInputGradientKernel, { dy, x: xs, statistics: stats, gamma: gs, dbeta, dgamma }, {}), dgamma, dbeta];
      },
    };
  });
  return tf.tidy(() => tf.reshape(normalize(tf.reshape(x, [x.size / channels, channels]), gamma, beta), x.shape));
}

/**
 * Batch normalisation over the last axis (the channels of an image, the
 * features of a vector), with learned scale gamma and shift beta.
 *
 * Both training and inference normalise with the statistics of the batch at
 * hand: running averages need non-trainable state, which the runtime does not
 * keep yet. So inference wants batches of several examples (a batch of one
 * has zero variance and gives beta); `momentum` is the running averages'
 * momentum and takes effect once they exist.
 */
export const batchNormNode = defineNode({
  kind: 'BatchNorm',
  category: 'layer',
  title: 'Batch norm',
  description: 'Normalises each channel to zero mean and unit variance over the batch, then scales by gamma and shifts by beta.',
  params: z.strictObject({
    momentum: z.number().min(0).max(1).default(0.99),
    epsilon: z.number().min(1e-8).max(1).default(1e-3),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., channels]');
    lastDim(x, 'x');
    return { y: x };
  },
  variables: ({ inputs }) => channelScaleShift(lastDim(input(inputs, 'x'), 'x')),
  forward: ({ inputs, vars, params, fused }) => ({
    y: (fused ? batchNormFused(inputs.x!, vars.gamma!, vars.beta!, params.epsilon) : undefined) ?? batchNormUnfused(inputs.x!, vars.gamma!, vars.beta!, params.epsilon),
  }),
  // Batch statistics in training and sampling alike, as here; momentum has nothing to act on.
  torch: {
    module: ({ inputs, params }) => ({ class: 'BatchNorm', args: { channels: lastDim(input(inputs, 'x'), 'x'), epsilon: params.epsilon } }),
    weights: () => ({ gamma: ['weight', 'same'], beta: ['bias', 'same'] }),
  },
  summary: (p) => `ε ${p.epsilon}`,
});
