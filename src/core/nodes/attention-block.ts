import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Shape } from '../base/shape.ts';
import { causalMaskValues } from './causal-mask.ts';
import { dispatchBound, runFused, threadIndex, workgroupGrid, WORKGROUP, WORKGROUP_INDEX, WORKGROUP_SUM, type FusedKernel, type WgslProgram } from './fused.ts';
import { expectRank, headsError, input, lastDim, mismatch, zHeads } from './common.ts';
import { torchLayer, type TorchWeightMap } from './expansion-builder.ts';
import { defineNode, type Expansion, type NodePorts } from './types.ts';

/** Ports of AttentionBlock and TransformerBlock: a sequence x, optionally attending to a context. */
export const attentionPorts = {
  inputs: [
    { name: 'x', type: 'tensor', doc: 'the sequence that asks: [B, T, D]' },
    { name: 'context', type: 'tensor', optional: true, doc: 'cross-attention: the sequence attended to, [B, S, D2]' },
  ],
  outputs: [{ name: 'y', type: 'tensor' }],
} as const satisfies NodePorts;

/**
 * Checks x [B, T, D], with D split evenly into `heads`, and a connected
 * context [B, S, D2]; D2 may differ from D since k and v project it to D.
 */
export function checkAttentionInputs(inputs: Readonly<Record<string, Shape>>, heads: number): { x: Shape; context?: Shape } {
  const x = input(inputs, 'x');
  expectRank(x, 'x', 3, 3, '[B, T, features]');
  const width = lastDim(x, 'x');
  if (width % heads !== 0) throw headsError(width, heads);
  const context = inputs.context;
  if (context) {
    expectRank(context, 'context', 3, 3, '[B, S, features]');
    lastDim(context, 'context');
  }
  return { x, context };
}

/** The projections q, k, v and out as the Python AttentionBlock's q_proj, k_proj, v_proj and out_proj. */
export function torchAttentionWeights(): TorchWeightMap {
  return Object.assign({}, ...['q', 'k', 'v', 'out'].map((p) => torchLayer(p, `${p}_proj.`, 'linear'))) as TorchWeightMap;
}

/**
 * Multi-head scaled dot-product attention, softmax(q·kᵀ/√d)·v, with queries
 * from x and keys and values from the context when one is connected.
 * q, k and v get separate Dense projections so that no tensor goes past rank 4.
 */
export const attentionBlockNode = defineNode({
  kind: 'AttentionBlock',
  category: 'block',
  title: 'Attention',
  description: 'Multi-head attention: each position takes a weighted mix of the values at the positions (of x, or of the context) whose keys match its query.',
  params: z.strictObject({
    heads: zHeads(),
    /** Each position attends only to itself and earlier ones (self-attention of a language model). */
    causal: z.boolean().default(false),
  }),
  ports: attentionPorts,
  infer: ({ inputs, params }) => {
    const { x, context } = checkAttentionInputs(inputs, params.heads);
    if (context && params.causal && context[1] !== x[1]) {
      throw mismatch('context', `${String(x[1])} positions like x, since causal masking pairs query i with key i (or turn causal off)`, context);
    }
    return { y: x };
  },
  expand: ({ inputs, params }): Expansion => {
    const width = lastDim(input(inputs, 'x'), 'x');
    const scale = 1 / Math.sqrt(width / params.heads);
    const nodes: { id: string; kind: string; params: Record<string, unknown> }[] = [
      { id: 'q', kind: 'Dense', params: { units: width } },
      { id: 'k', kind: 'Dense', params: { units: width } },
      { id: 'v', kind: 'Dense', params: { units: width } },
      { id: 'q_heads', kind: 'SplitHeads', params: { heads: params.heads } },
      { id: 'k_heads', kind: 'SplitHeads', params: { heads: params.heads } },
      { id: 'v_heads', kind: 'SplitHeads', params: { heads: params.heads } },
      { id: 'scores', kind: 'MatMul', params: { transposeB: true, scale } },
      { id: 'weights', kind: 'Softmax', params: { axis: -1 } },
      { id: 'mix', kind: 'MatMul', params: {} },
      { id: 'merge', kind: 'MergeHeads', params: {} },
      { id: 'out', kind: 'Dense', params: { units: width } },
    ];
    const edges: { from: [string, string]; to: [string, string] }[] = [
      { from: ['q', 'y'], to: ['q_heads', 'x'] },
      { from: ['k', 'y'], to: ['k_heads', 'x'] },
      { from: ['v', 'y'], to: ['v_heads', 'x'] },
      { from: ['q_heads', 'y'], to: ['scores', 'a'] },
      { from: ['k_heads', 'y'], to: ['scores', 'b'] },
      { from: ['weights', 'y'], to: ['mix', 'a'] },
      { from: ['v_heads', 'y'], to: ['mix', 'b'] },
      { from: ['mix', 'y'], to: ['merge', 'x'] },
      { from: ['merge', 'y'], to: ['out', 'x'] },
    ];
    if (params.causal) {
      nodes.splice(7, 0, { id: 'mask', kind: 'CausalMask', params: {} });
      edges.push({ from: ['scores', 'y'], to: ['mask', 'scores'] }, { from: ['mask', 'y'], to: ['weights', 'x'] });
    } else {
      edges.push({ from: ['scores', 'y'], to: ['weights', 'x'] });
    }
    const cross = inputs.context !== undefined;
    return {
      nodes,
      edges,
      inputs: cross
        ? { x: [['q', 'x']], context: [['k', 'x'], ['v', 'x']] }
        : { x: [['q', 'x'], ['k', 'x'], ['v', 'x']] },
      outputs: { y: ['out', 'y'] },
    };
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'AttentionBlock',
      args: { features: lastDim(input(inputs, 'x'), 'x'), heads: params.heads, causal: params.causal, context_features: inputs.context ? lastDim(inputs.context, 'context') : null },
    }),
    weights: () => torchAttentionWeights(),
  },
  summary: (p) => `${p.heads} heads${p.causal ? ' · causal' : ''}`,
});

// ---------------------------------------------------------------- fused form
//
// The chain an AttentionBlock expands to between its q, k, v projections and
// its output projection (SplitHeads ×3, MatMul q·kᵀ·scale, CausalMask,
// Softmax, MatMul ·v, MergeHeads) as one kernel that reads q, k and v as
// [B, T, D] with the heads as strides, so no transposes run. Backward: the
// probabilities again (nothing [B, H, T, S] is kept between forward and
// backward), then dq, dk and dv, one kernel each:
//   dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)), dq = scale·dS·k,
//   dk = scale·dSᵀ·q, dv = Pᵀ·dO.
// compiler/fusion.ts finds the chain in a graph (attentionFusion below),
// whoever built it.

interface AttentionAttrs {
  heads: number;
  scale: number;
  /** 1: query t sees keys 0..t only. */
  causal: number;
}

/** Keys (and queries) one workgroup keeps a row of in workgroup memory; longer sequences run unfused. */
export const FUSED_ATTENTION_MAX_LENGTH = 1024;
const GROUP = WORKGROUP;

interface Dimensions {
  batch: number;
  queries: number;
  keys: number;
  width: number;
  heads: number;
  headWidth: number;
}

function dimensions(q: number[], k: number[], heads: number): Dimensions {
  const [batch, queries, width] = q as [number, number, number];
  return { batch, queries, keys: k[1]!, width, heads, headWidth: width / heads };
}

/** P[b, h, t, 0..S) for one query row, as JavaScript: softmax of the scaled, masked scores. */
function probabilityRow(q: Float32Array, k: Float32Array, d: Dimensions, b: number, h: number, t: number, attrs: AttentionAttrs, out: Float32Array): void {
  const visible = attrs.causal ? Math.min(t + 1, d.keys) : d.keys;
  const qBase = (b * d.queries + t) * d.width + h * d.headWidth;
  let max = -Infinity;
  for (let j = 0; j < visible; j++) {
    const kBase = (b * d.keys + j) * d.width + h * d.headWidth;
    let dot = 0;
    for (let i = 0; i < d.headWidth; i++) dot += q[qBase + i]! * k[kBase + i]!;
    out[j] = dot * attrs.scale;
    if (out[j]! > max) max = out[j]!;
  }
  let sum = 0;
  for (let j = 0; j < visible; j++) sum += out[j] = Math.exp(out[j]! - max);
  for (let j = 0; j < visible; j++) out[j]! /= sum;
  out.fill(0, visible, d.keys);
}

const attentionUniforms = (d: Dimensions, attrs: AttentionAttrs) =>
  [
    { name: 'queries', value: d.queries, type: 'i32' as const },
    { name: 'keys', value: d.keys, type: 'i32' as const },
    { name: 'width', value: d.width, type: 'i32' as const },
    { name: 'heads', value: d.heads, type: 'i32' as const },
    { name: 'headWidth', value: d.headWidth, type: 'i32' as const },
    { name: 'causal', value: attrs.causal, type: 'i32' as const },
    { name: 'scale', value: attrs.scale, type: 'f32' as const },
  ];

/**
 * WGSL: a workgroup per (b, h, t) query row; after gcProbabilities() the
 * row's probabilities are in gcRow[0..visible) and zero beyond.
 */
const WGSL_PROBABILITIES = `${WORKGROUP_SUM}
  var<workgroup> gcRow : array<f32, ${FUSED_ATTENTION_MAX_LENGTH}>;
  var<workgroup> gcMax : array<f32, ${GROUP}>;
  fn gcRowIndex() -> vec3<i32> {
    let row = ${WORKGROUP_INDEX};
    let t = row % uniforms.queries;
    let h = (row / uniforms.queries) % uniforms.heads;
    let b = row / (uniforms.queries * uniforms.heads);
    return vec3<i32>(b, h, t);
  }
  fn gcVisible(t : i32) -> i32 { return select(uniforms.keys, min(t + 1, uniforms.keys), uniforms.causal == 1); }
  fn gcProbabilities(b : i32, h : i32, t : i32, valid : bool) {
    let visible = gcVisible(t);
    let qBase = (b * uniforms.queries + t) * uniforms.width + h * uniforms.headWidth;
    var localMax = -3.4e38;
    for (var j = i32(localId.x); j < uniforms.keys; j += ${GROUP}) {
      var score = -3.4e38;
      if (valid && j < visible) {
        let kBase = (b * uniforms.keys + j) * uniforms.width + h * uniforms.headWidth;
        var dot = 0.0;
        for (var i = 0; i < uniforms.headWidth; i++) { dot += q[qBase + i] * k[kBase + i]; }
        score = dot * uniforms.scale;
      }
      gcRow[j] = score;
      localMax = max(localMax, score);
    }
    gcMax[localId.x] = localMax;
    workgroupBarrier();
    for (var s = ${GROUP / 2}u; s > 0u; s = s >> 1u) {
      if (localId.x < s) { gcMax[localId.x] = max(gcMax[localId.x], gcMax[localId.x + s]); }
      workgroupBarrier();
    }
    let rowMax = gcMax[0];
    var localSum = 0.0;
    for (var j = i32(localId.x); j < uniforms.keys; j += ${GROUP}) {
      let e = select(0.0, exp(gcRow[j] - rowMax), j < visible);
      gcRow[j] = e;
      localSum += e;
    }
    let total = gcWorkgroupSum(localSum, 0);
    for (var j = i32(localId.x); j < uniforms.keys; j += ${GROUP}) { gcRow[j] = gcRow[j] / total; }
    workgroupBarrier();
  }`;

function rowsProgram(key: string, d: Dimensions, attrs: AttentionAttrs, body: string): WgslProgram {
  return {
    key,
    workgroupSize: GROUP,
    dispatch: workgroupGrid(d.batch * d.heads * d.queries),
    uniforms: [...attentionUniforms(d, attrs), { name: 'rows', value: d.batch * d.heads * d.queries, type: 'i32' }],
    code: `${WGSL_PROBABILITIES}
  fn main(index : i32) {
    let at = gcRowIndex();
    let b = at.x;
    let h = at.y;
    let t = at.z;
    let valid = ${WORKGROUP_INDEX} < uniforms.rows;
    gcProbabilities(b, h, t, valid);
    ${body}
  }`,
  };
}

/** The gradient of GcAttention, in the kernels below. */
function attentionGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [q, k, v, o] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const a = attrs as unknown as AttentionAttrs;
  // Here, not in the thunks: each thunk runs in a scope of its own.
  const p = runFused(attentionProbabilitiesKernel, { q, k }, a);
  return {
    q: () => runFused(attentionQueryGradientKernel, { dy, k, v, o, p }, a),
    k: () => runFused(attentionKeyGradientKernel, { dy, q, v, o, p }, a),
    v: () => runFused(attentionValueGradientKernel, { dy, p }, { ...a, keys: k.shape[1]! }),
  };
}

/** o[b, t, h·dh + i] = Σ_j P[b, h, t, j]·v[b, j, h·dh + i]. */
export const attentionKernel: FusedKernel<AttentionAttrs> = {
  name: 'GcAttention',
  gradient: { kernelName: 'GcAttention', inputsToSave: ['q', 'k', 'v'], outputsToSave: [true], gradFunc: (dy, saved, attrs) => attentionGradient(dy as tf.Tensor, saved, attrs) },
  inputs: ['q', 'k', 'v'],
  outputShape: ([q]) => q!,
  js: ({ inputs: [q, k, v], shapes, attrs, out }) => {
    const d = dimensions(shapes[0]!, shapes[1]!, attrs.heads);
    const row = new Float32Array(d.keys);
    for (let b = 0; b < d.batch; b++)
      for (let h = 0; h < d.heads; h++)
        for (let t = 0; t < d.queries; t++) {
          probabilityRow(q!, k!, d, b, h, t, attrs, row);
          const oBase = (b * d.queries + t) * d.width + h * d.headWidth;
          for (let i = 0; i < d.headWidth; i++) {
            let sum = 0;
            for (let j = 0; j < d.keys; j++) sum += row[j]! * v![(b * d.keys + j) * d.width + h * d.headWidth + i]!;
            out[oBase + i] = sum;
          }
        }
  },
  wgsl: ([q, k], attrs) => {
    const d = dimensions(q!, k!, attrs.heads);
    return rowsProgram(
      'forward',
      d,
      attrs,
      `if (valid) {
      let oBase = (b * uniforms.queries + t) * uniforms.width + h * uniforms.headWidth;
      for (var i = i32(localId.x); i < uniforms.headWidth; i += ${GROUP}) {
        var sum = 0.0;
        for (var j = 0; j < gcVisible(t); j++) { sum += gcRow[j] * v[(b * uniforms.keys + j) * uniforms.width + h * uniforms.headWidth + i]; }
        result[oBase + i] = sum;
      }
    }`,
    );
  },
};

/** P [B, H, T, S], the attention probabilities, for the backward kernels. */
export const attentionProbabilitiesKernel: FusedKernel<AttentionAttrs> = {
  name: 'GcAttentionProbabilities',
  inputs: ['q', 'k'],
  outputShape: ([q, k], attrs) => [q![0]!, attrs.heads, q![1]!, k![1]!],
  js: ({ inputs: [q, k], shapes, attrs, out }) => {
    const d = dimensions(shapes[0]!, shapes[1]!, attrs.heads);
    for (let b = 0; b < d.batch; b++)
      for (let h = 0; h < d.heads; h++)
        for (let t = 0; t < d.queries; t++) probabilityRow(q!, k!, d, b, h, t, attrs, out.subarray(((b * d.heads + h) * d.queries + t) * d.keys, ((b * d.heads + h) * d.queries + t + 1) * d.keys));
  },
  wgsl: ([q, k], attrs) =>
    rowsProgram(
      'probabilities',
      dimensions(q!, k!, attrs.heads),
      attrs,
      `if (valid) {
      let pBase = ((b * uniforms.heads + h) * uniforms.queries + t) * uniforms.keys;
      for (var j = i32(localId.x); j < uniforms.keys; j += ${GROUP}) { result[pBase + j] = gcRow[j]; }
    }`,
    ),
};

/** rowsum(dO ⊙ O) of query row (b, h, t) over the head's width, as JavaScript. */
function outputDot(dy: Float32Array, o: Float32Array, d: Dimensions, b: number, h: number, t: number): number {
  const base = (b * d.queries + t) * d.width + h * d.headWidth;
  let sum = 0;
  for (let i = 0; i < d.headWidth; i++) sum += dy[base + i]! * o[base + i]!;
  return sum;
}

/** dS[b, h, t, j] = P·(dO[t]·v[j] − rowsum(dO ⊙ O)[t]), as JavaScript. */
function scoreGradient(dy: Float32Array, v: Float32Array, p: Float32Array, d: Dimensions, b: number, h: number, t: number, j: number, rowDot: number): number {
  const probability = p[((b * d.heads + h) * d.queries + t) * d.keys + j]!;
  if (probability === 0) return 0;
  const dyBase = (b * d.queries + t) * d.width + h * d.headWidth;
  const vBase = (b * d.keys + j) * d.width + h * d.headWidth;
  let dot = 0;
  for (let i = 0; i < d.headWidth; i++) dot += dy[dyBase + i]! * v[vBase + i]!;
  return probability * (dot - rowDot);
}

// WGSL counterparts of outputDot and scoreGradient.
const WGSL_GRADIENT_HELPERS = `
  fn gcOutputDot(b : i32, h : i32, t : i32) -> f32 {
    let base = (b * uniforms.queries + t) * uniforms.width + h * uniforms.headWidth;
    var sum = 0.0;
    for (var i = 0; i < uniforms.headWidth; i++) { sum += dy[base + i] * o[base + i]; }
    return sum;
  }
  fn gcScoreGradient(b : i32, h : i32, t : i32, j : i32, rowDot : f32) -> f32 {
    let probability = p[((b * uniforms.heads + h) * uniforms.queries + t) * uniforms.keys + j];
    let dyBase = (b * uniforms.queries + t) * uniforms.width + h * uniforms.headWidth;
    let vBase = (b * uniforms.keys + j) * uniforms.width + h * uniforms.headWidth;
    var dot = 0.0;
    for (var i = 0; i < uniforms.headWidth; i++) { dot += dy[dyBase + i] * v[vBase + i]; }
    return probability * (dot - rowDot);
  }`;

/** dq[b, t, h·dh + i] = scale·Σ_j dS[b, h, t, j]·k[b, j, h·dh + i]: a workgroup per query row. */
export const attentionQueryGradientKernel: FusedKernel<AttentionAttrs> = {
  name: 'GcAttentionQueryGradient',
  inputs: ['dy', 'k', 'v', 'o', 'p'],
  outputShape: ([dy]) => dy!,
  js: ({ inputs: [dy, k, v, o, p], shapes, attrs, out }) => {
    const d = dimensions(shapes[0]!, shapes[1]!, attrs.heads);
    const row = new Float32Array(d.keys);
    for (let b = 0; b < d.batch; b++)
      for (let h = 0; h < d.heads; h++)
        for (let t = 0; t < d.queries; t++) {
          const rowDot = outputDot(dy!, o!, d, b, h, t);
          for (let j = 0; j < d.keys; j++) row[j] = scoreGradient(dy!, v!, p!, d, b, h, t, j, rowDot);
          const base = (b * d.queries + t) * d.width + h * d.headWidth;
          for (let i = 0; i < d.headWidth; i++) {
            let sum = 0;
            for (let j = 0; j < d.keys; j++) sum += row[j]! * k![(b * d.keys + j) * d.width + h * d.headWidth + i]!;
            out[base + i] = attrs.scale * sum;
          }
        }
  },
  wgsl: ([dy, k], attrs) => {
    const d = dimensions(dy!, k!, attrs.heads);
    return {
      key: 'dq',
      workgroupSize: GROUP,
      dispatch: workgroupGrid(d.batch * d.heads * d.queries),
      uniforms: [...attentionUniforms(d, attrs), { name: 'rows', value: d.batch * d.heads * d.queries, type: 'i32' }],
      code: `${WGSL_GRADIENT_HELPERS}
  var<workgroup> gcRow : array<f32, ${FUSED_ATTENTION_MAX_LENGTH}>;
  fn main(index : i32) {
    let row = ${WORKGROUP_INDEX};
    let valid = row < uniforms.rows;
    let t = row % uniforms.queries;
    let h = (row / uniforms.queries) % uniforms.heads;
    let b = row / (uniforms.queries * uniforms.heads);
    var rowDot = 0.0;
    if (valid) { rowDot = gcOutputDot(b, h, t); }
    for (var j = i32(localId.x); j < uniforms.keys; j += ${GROUP}) {
      var gradient = 0.0;
      if (valid) { gradient = gcScoreGradient(b, h, t, j, rowDot); }
      gcRow[j] = gradient;
    }
    workgroupBarrier();
    if (valid) {
      let base = (b * uniforms.queries + t) * uniforms.width + h * uniforms.headWidth;
      for (var i = i32(localId.x); i < uniforms.headWidth; i += ${GROUP}) {
        var sum = 0.0;
        for (var j = 0; j < uniforms.keys; j++) { sum += gcRow[j] * k[(b * uniforms.keys + j) * uniforms.width + h * uniforms.headWidth + i]; }
        result[base + i] = uniforms.scale * sum;
      }
    }
  }`,
    };
  },
};

/** dk[b, j, h·dh + i] = scale·Σ_t dS[b, h, t, j]·q[b, t, h·dh + i]: a workgroup per key. */
export const attentionKeyGradientKernel: FusedKernel<AttentionAttrs> = {
  name: 'GcAttentionKeyGradient',
  inputs: ['dy', 'q', 'v', 'o', 'p'],
  outputShape: ([, , v]) => v!,
  js: ({ inputs: [dy, q, v, o, p], shapes, attrs, out }) => {
    const d = dimensions(shapes[0]!, shapes[2]!, attrs.heads);
    const column = new Float32Array(d.queries);
    for (let b = 0; b < d.batch; b++)
      for (let h = 0; h < d.heads; h++) {
        const rowDots = Array.from({ length: d.queries }, (_, t) => outputDot(dy!, o!, d, b, h, t));
        for (let j = 0; j < d.keys; j++) {
          for (let t = 0; t < d.queries; t++) column[t] = scoreGradient(dy!, v!, p!, d, b, h, t, j, rowDots[t]!);
          const base = (b * d.keys + j) * d.width + h * d.headWidth;
          for (let i = 0; i < d.headWidth; i++) {
            let sum = 0;
            for (let t = 0; t < d.queries; t++) sum += column[t]! * q![(b * d.queries + t) * d.width + h * d.headWidth + i]!;
            out[base + i] = attrs.scale * sum;
          }
        }
      }
  },
  wgsl: ([dy, , v], attrs) => {
    const d = dimensions(dy!, v!, attrs.heads);
    return {
      key: 'dk',
      workgroupSize: GROUP,
      dispatch: workgroupGrid(d.batch * d.heads * d.keys),
      uniforms: [...attentionUniforms(d, attrs), { name: 'columns', value: d.batch * d.heads * d.keys, type: 'i32' }],
      code: `${WGSL_GRADIENT_HELPERS}
  var<workgroup> gcColumn : array<f32, ${FUSED_ATTENTION_MAX_LENGTH}>;
  fn main(index : i32) {
    let column = ${WORKGROUP_INDEX};
    let valid = column < uniforms.columns;
    let j = column % uniforms.keys;
    let h = (column / uniforms.keys) % uniforms.heads;
    let b = column / (uniforms.keys * uniforms.heads);
    for (var t = i32(localId.x); t < uniforms.queries; t += ${GROUP}) {
      var gradient = 0.0;
      if (valid) { gradient = gcScoreGradient(b, h, t, j, gcOutputDot(b, h, t)); }
      gcColumn[t] = gradient;
    }
    workgroupBarrier();
    if (valid) {
      let base = (b * uniforms.keys + j) * uniforms.width + h * uniforms.headWidth;
      for (var i = i32(localId.x); i < uniforms.headWidth; i += ${GROUP}) {
        var sum = 0.0;
        for (var t = 0; t < uniforms.queries; t++) { sum += gcColumn[t] * q[(b * uniforms.queries + t) * uniforms.width + h * uniforms.headWidth + i]; }
        result[base + i] = uniforms.scale * sum;
      }
    }
  }`,
    };
  },
};

/** dv[b, j, h·dh + i] = Σ_t P[b, h, t, j]·dO[b, t, h·dh + i]: a thread per element. */
export const attentionValueGradientKernel: FusedKernel<AttentionAttrs & { keys: number }> = {
  name: 'GcAttentionValueGradient',
  inputs: ['dy', 'p'],
  outputShape: ([dy], attrs) => [dy![0]!, attrs.keys, dy![2]!],
  js: ({ inputs: [dy, p], shapes, attrs, out }) => {
    const d = dimensions(shapes[0]!, [0, attrs.keys], attrs.heads);
    for (let b = 0; b < d.batch; b++)
      for (let j = 0; j < d.keys; j++)
        for (let h = 0; h < d.heads; h++)
          for (let i = 0; i < d.headWidth; i++) {
            let sum = 0;
            for (let t = 0; t < d.queries; t++) sum += p![((b * d.heads + h) * d.queries + t) * d.keys + j]! * dy![(b * d.queries + t) * d.width + h * d.headWidth + i]!;
            out[(b * d.keys + j) * d.width + h * d.headWidth + i] = sum;
          }
  },
  wgsl: ([dy], attrs) => {
    const d = dimensions(dy!, [0, attrs.keys], attrs.heads);
    const size = d.batch * d.keys * d.width;
    return {
      key: 'dv',
      workgroupSize: GROUP,
      dispatch: workgroupGrid(Math.ceil(size / GROUP)),
      uniforms: [...attentionUniforms(d, attrs), { name: 'count', value: size, type: 'i32' }],
      code: `
  fn main(index : i32) {
    let e = ${threadIndex(GROUP)};
    if (e >= uniforms.count) { return; }
    let c = e % uniforms.width;
    let j = (e / uniforms.width) % uniforms.keys;
    let b = e / (uniforms.width * uniforms.keys);
    let h = c / uniforms.headWidth;
    var sum = 0.0;
    for (var t = 0; t < uniforms.queries; t++) {
      sum += p[((b * uniforms.heads + h) * uniforms.queries + t) * uniforms.keys + j] * dy[(b * uniforms.queries + t) * uniforms.width + c];
    }
    result[e] = sum;
  }`,
    };
  },
};

/** The chain as the primitive kinds run it: the reference the fused kernel is held to, and what runs where it cannot. */
export function attentionUnfused(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, attrs: AttentionAttrs): tf.Tensor {
  return tf.tidy(() => {
    const [batch, queries, width] = q.shape as [number, number, number];
    const split = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [batch, x.shape[1]!, attrs.heads, width / attrs.heads]), [0, 2, 1, 3]);
    let scores = tf.mul(tf.matMul(split(q), split(k), false, true), attrs.scale);
    if (attrs.causal) scores = tf.add(scores, tf.tensor2d(causalMaskValues(queries), [queries, queries]));
    const mixed = tf.matMul(tf.softmax(scores), split(v));
    return tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch, queries, width]);
  });
}

/** Multi-head attention in one kernel (q, k, v [B, T or S, D], already projected). */
export function attentionFused(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, attrs: AttentionAttrs): tf.Tensor {
  return runFused(attentionKernel, { q, k, v }, attrs);
}

/** The op compiler/fusion.ts puts in place of the chain: fused on a GPU backend where the rows fit. */
export const fusedAttentionNode = defineNode({
  kind: 'FusedAttention',
  category: 'block',
  title: 'Attention (fused)',
  description: 'Scaled dot-product attention over heads in one kernel; compiled from the chain SplitHeads, MatMul, CausalMask, Softmax, MatMul, MergeHeads.',
  params: z.strictObject({ heads: zHeads(), scale: z.number(), causal: z.boolean() }),
  ports: { inputs: [{ name: 'q', type: 'tensor' }, { name: 'k', type: 'tensor' }, { name: 'v', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  forward: ({ inputs, params, fused }) => {
    const attrs = { heads: params.heads, scale: params.scale, causal: params.causal ? 1 : 0 };
    const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.Tensor>;
    const fits = Math.max(q.shape[1]!, k.shape[1]!) <= FUSED_ATTENTION_MAX_LENGTH;
    // On the CPU backends the chain's products (the backend's own) beat the kernel's JavaScript loops.
    return { y: fused && dispatchBound() && fits ? attentionFused(q, k, v, attrs) : attentionUnfused(q, k, v, attrs) };
  },
});
