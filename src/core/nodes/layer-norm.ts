import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { channelScaleShift, expectRank, input, lastDim, positionwise } from './common.ts';
import { columnSumKernel, perColumnProgram, runFused, workgroupGrid, WORKGROUP, WORKGROUP_INDEX, WORKGROUP_SUM, type FusedKernel } from './fused.ts';
import { defineNode } from './types.ts';

// ---------------------------------------------------------------- fused form
//
// Forward: one kernel (statistics, normalisation, scale and shift) where the
// unfused chain runs nine. Backward: the rows' statistics, dx, dgamma and
// dbeta, one kernel each. Every kernel sees x as [rows, features].

interface Epsilon {
  epsilon: number;
}

/** Threads per row. */
const GROUP = WORKGROUP;

/** A workgroup per row; `body` runs with row, cols, base (the row's first index) and valid (the row exists). */
function perRowProgram(key: string, shapes: number[][], body: string, uniforms: { name: string; value: number; type: 'f32' | 'i32' }[] = []): ReturnType<FusedKernel<object>['wgsl']> {
  const cols = shapes[0]!.at(-1)!;
  const rows = tf.util.sizeFromShape(shapes[0]!) / cols;
  return {
    key,
    workgroupSize: GROUP,
    dispatch: workgroupGrid(rows),
    uniforms: [{ name: 'rows', value: rows, type: 'i32' }, { name: 'cols', value: cols, type: 'i32' }, ...uniforms],
    code: `${WORKGROUP_SUM}
  fn main(index : i32) {
    let row = ${WORKGROUP_INDEX};
    let cols = uniforms.cols;
    let valid = row < uniforms.rows;
    let base = row * cols;
    let first = i32(localId.x);
    ${body}
  }`,
  };
}

/** Each row's mean and 1/√(variance + ε), as JavaScript. */
function rowStatistics(x: Float32Array, row: number, cols: number, epsilon: number): [number, number] {
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += x[row * cols + c]!;
  const mean = sum / cols;
  let squares = 0;
  for (let c = 0; c < cols; c++) squares += (x[row * cols + c]! - mean) ** 2;
  return [mean, 1 / Math.sqrt(squares / cols + epsilon)];
}

const WGSL_STATISTICS = `
    var sum = 0.0;
    if (valid) { for (var c = first; c < cols; c += ${GROUP}) { sum += x[base + c]; } }
    let mean = gcWorkgroupSum(sum, 0) / f32(cols);
    var squares = 0.0;
    if (valid) { for (var c = first; c < cols; c += ${GROUP}) { let d = x[base + c] - mean; squares += d * d; } }
    let rstd = inverseSqrt(gcWorkgroupSum(squares, 1) / f32(cols) + uniforms.epsilon);`;

/** The gradient of GcLayerNorm, in the fused kernels below. */
function layerNormGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, gamma] = saved as [tf.Tensor, tf.Tensor];
  // Here, not in the thunks: each thunk runs in a scope of its own, which would dispose what it made for the others.
  const statistics = runFused(layerNormStatisticsKernel, { x }, { epsilon: (attrs as unknown as Epsilon).epsilon });
  return {
    x: () => runFused(layerNormInputGradientKernel, { dy, x, gamma, statistics }, {}),
    gamma: () => runFused(layerNormScaleGradientKernel, { dy, x, statistics }, {}),
    beta: () => runFused(columnSumKernel, { dy }, {}),
  };
}

/** y = (x − mean)/√(var + ε)·γ + β per row. */
export const layerNormKernel: FusedKernel<Epsilon> = {
  name: 'GcLayerNorm',
  gradient: { kernelName: 'GcLayerNorm', inputsToSave: ['x', 'gamma'], gradFunc: (dy, saved, attrs) => layerNormGradient(dy as tf.Tensor, saved, attrs) },
  inputs: ['x', 'gamma', 'beta'],
  outputShape: ([x]) => x!,
  js: ({ inputs: [x, gamma, beta], shapes: [shape], attrs, out }) => {
    const cols = shape!.at(-1)!;
    for (let row = 0; row < out.length / cols; row++) {
      const [mean, rstd] = rowStatistics(x!, row, cols, attrs.epsilon);
      for (let c = 0; c < cols; c++) out[row * cols + c] = (x![row * cols + c]! - mean) * rstd * gamma![c]! + beta![c]!;
    }
  },
  wgsl: (shapes, attrs) =>
    perRowProgram(
      'forward',
      shapes,
      `${WGSL_STATISTICS}
    if (valid) { for (var c = first; c < cols; c += ${GROUP}) { result[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c]; } }`,
      [{ name: 'epsilon', value: attrs.epsilon, type: 'f32' }],
    ),
};

/** [rows, 2]: each row's mean and 1/√(variance + ε), for the backward kernels. */
export const layerNormStatisticsKernel: FusedKernel<Epsilon> = {
  name: 'GcLayerNormStatistics',
  inputs: ['x'],
  outputShape: ([x]) => [tf.util.sizeFromShape(x!) / x!.at(-1)!, 2],
  js: ({ inputs: [x], shapes: [shape], attrs, out }) => {
    const cols = shape!.at(-1)!;
    for (let row = 0; row < out.length / 2; row++) out.set(rowStatistics(x!, row, cols, attrs.epsilon), 2 * row);
  },
  wgsl: (shapes, attrs) =>
    perRowProgram(
      'statistics',
      shapes,
      `${WGSL_STATISTICS}
    if (valid && first == 0) { result[2 * row] = mean; result[2 * row + 1] = rstd; }`,
      [{ name: 'epsilon', value: attrs.epsilon, type: 'f32' }],
    ),
};

/** dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) per row, with g = dy·γ and x̂ the normalised x. */
export const layerNormInputGradientKernel: FusedKernel<object> = {
  name: 'GcLayerNormInputGradient',
  inputs: ['dy', 'x', 'gamma', 'statistics'],
  outputShape: ([, x]) => x!,
  js: ({ inputs: [dy, x, gamma, statistics], shapes: [, shape], out }) => {
    const cols = shape!.at(-1)!;
    for (let row = 0; row < out.length / cols; row++) {
      const mean = statistics![2 * row]!;
      const rstd = statistics![2 * row + 1]!;
      let sumG = 0;
      let sumGX = 0;
      for (let c = 0; c < cols; c++) {
        const g = dy![row * cols + c]! * gamma![c]!;
        sumG += g;
        sumGX += g * (x![row * cols + c]! - mean) * rstd;
      }
      for (let c = 0; c < cols; c++) {
        const i = row * cols + c;
        out[i] = rstd * (dy![i]! * gamma![c]! - sumG / cols - (x![i]! - mean) * rstd * (sumGX / cols));
      }
    }
  },
  wgsl: (shapes) =>
    perRowProgram(
      'dx',
      [shapes[1]!],
      `
    var mean = 0.0;
    var rstd = 0.0;
    if (valid) { mean = statistics[2 * row]; rstd = statistics[2 * row + 1]; }
    var sumG = 0.0;
    var sumGX = 0.0;
    if (valid) {
      for (var c = first; c < cols; c += ${GROUP}) {
        let g = dy[base + c] * gamma[c];
        sumG += g;
        sumGX += g * (x[base + c] - mean) * rstd;
      }
    }
    let meanG = gcWorkgroupSum(sumG, 0) / f32(cols);
    let meanGX = gcWorkgroupSum(sumGX, 1) / f32(cols);
    if (valid) {
      for (var c = first; c < cols; c += ${GROUP}) {
        result[base + c] = rstd * (dy[base + c] * gamma[c] - meanG - (x[base + c] - mean) * rstd * meanGX);
      }
    }`,
    ),
};

/** dγ = Σ_rows dy·x̂ per feature. */
export const layerNormScaleGradientKernel: FusedKernel<object> = {
  name: 'GcLayerNormScaleGradient',
  inputs: ['dy', 'x', 'statistics'],
  outputShape: ([, x]) => [x!.at(-1)!],
  js: ({ inputs: [dy, x, statistics], out }) => {
    const cols = out.length;
    out.fill(0);
    for (let row = 0; row < dy!.length / cols; row++) {
      const mean = statistics![2 * row]!;
      const rstd = statistics![2 * row + 1]!;
      for (let c = 0; c < cols; c++) out[c]! += dy![row * cols + c]! * (x![row * cols + c]! - mean) * rstd;
    }
  },
  wgsl: ([dy]) => perColumnProgram('scale', dy!, 'dy[row * cols + c] * (x[row * cols + c] - statistics[2 * row]) * statistics[2 * row + 1]'),
};

/** Layer norm as TF.js ops: the reference the fused form is tested against, and what runs where it cannot. */
export function layerNormUnfused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}

/** Layer norm in one fused kernel, x of any rank with features last. */
export function layerNormFused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const features = x.shape.at(-1)!;
    return tf.reshape(runFused(layerNormKernel, { x: tf.reshape(x, [x.size / features, features]), gamma, beta }, { epsilon }), x.shape);
  });
}

/** Normalises each position's features to zero mean and unit variance, then scales and shifts them. */
export const layerNormNode = defineNode({
  kind: 'LayerNorm',
  category: 'layer',
  title: 'Layer norm',
  description: "Normalises the last axis of each item to zero mean and unit variance, then applies a learned scale (gamma) and shift (beta).",
  params: z.strictObject({ epsilon: z.number().min(1e-12).max(1).default(1e-5) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ..., features]');
    lastDim(x, 'x');
    return { y: x };
  },
  variables: ({ inputs }) => channelScaleShift(lastDim(input(inputs, 'x'), 'x')),
  forward: ({ inputs, vars, params, fused }) => {
    const layerNorm = fused ? layerNormFused : layerNormUnfused;
    return { y: layerNorm(inputs.x!, vars.gamma!, vars.beta!, params.epsilon) };
  },
  torch: {
    module: ({ inputs, params }) => ({ class: 'LayerNorm', args: { features: lastDim(input(inputs, 'x'), 'x'), epsilon: params.epsilon } }),
    weights: () => ({ gamma: ['weight', 'same'], beta: ['bias', 'same'] }),
  },
  summary: (p) => `ε ${p.epsilon}`,
  sequence: positionwise,
});
