/**
 * The cases every kind is checked on, shared by the PyTorch oracle
 * (torch-oracle.test.ts: our TF.js forward and gradients against an
 * independent float64 reference) and the export test (torch-kinds.test.ts:
 * each kind's PyTorch module of the exported project against our TF.js
 * forward). A case puts node `n` behind Input nodes (one per input port,
 * `in_<port>`), gives every variable seeded values and records the random
 * draws of its forward, so that both tests see the same numbers.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { initialValues, runOps, variableKey } from '../../src/core/compiler/forward.ts';
import { permutation } from '../../src/core/nodes/permute.ts';
import type { Init, RandomSource } from '../../src/core/nodes/types.ts';
import { analyze, type Analysis } from '../../src/core/shapes/analyze.ts';
import type { FlatOp } from '../../src/core/shapes/analysis.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { makeDocument, type NodeSketch } from '../helpers.ts';

export const PYTHON = '/usr/bin/python3';
/** |ours − torch| ≤ RELATIVE · |torch| + ABSOLUTE. */
export const RELATIVE = 1e-4;
export const ABSOLUTE = 1e-5;
export const BATCH = 2;
export const RANDOM_SEED = 77;

/** Whether /usr/bin/python3 imports torch; when not, warns once for `test` and gives false. */
export function torchAvailable(test: string): boolean {
  const check = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (check.status === 0) return true;
  console.warn(`${test}: skipped, ${PYTHON} cannot import torch (install Debian's python3-torch)${check.stderr ? `: ${check.stderr.trim().split('\n').pop()}` : ''}`);
  return false;
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

/** How a variable's values are laid out for PyTorch (see to_torch_layout in the script). */
export type Layout = 'linear' | 'conv' | 'convT' | 'vector';
/** [PyTorch parameter name, our variable key, layout]. */
export type WeightMap = readonly (readonly [string, string, Layout])[];

export interface InputSpec {
  /** With the batch axis. */
  shape: number[];
  /** Token ids in [0, ids) instead of floats. */
  ids?: number;
  /** Uniform floats in [lo, hi) instead of a standard normal. */
  range?: readonly [number, number];
  /** Scale of the standard normal (default 1). */
  scale?: number;
  /** Fixed values (floats, or ids with `ids` set). */
  values?: number[];
}

export interface OracleCase {
  name: string;
  kind: string;
  params?: Record<string, unknown>;
  inputs: Record<string, InputSpec>;
  weights?: WeightMap;
  /** Other nodes feeding n, with their edges (e.g. a NoiseSchedule). */
  sources?: { nodes: NodeSketch[]; edges: string[] };
  /** Data the reference needs beyond params, inputs and weights. */
  extra?: (analysis: Analysis) => Record<string, unknown>;
}

const dense = (torch: string, ours: string, bias = true): WeightMap => [
  [`${torch}weight`, `${ours}/kernel`, 'linear'],
  ...(bias ? ([[`${torch}bias`, `${ours}/bias`, 'vector']] as const) : []),
];
const conv = (torch: string, ours: string, bias = true): WeightMap => [
  [`${torch}weight`, `${ours}/kernel`, 'conv'],
  ...(bias ? ([[`${torch}bias`, `${ours}/bias`, 'vector']] as const) : []),
];
const convT = (torch: string, ours: string, bias = true): WeightMap => [
  [`${torch}weight`, `${ours}/kernel`, 'convT'],
  ...(bias ? ([[`${torch}bias`, `${ours}/bias`, 'vector']] as const) : []),
];
const norm = (torch: string, ours: string): WeightMap => [
  [`${torch}weight`, `${ours}/gamma`, 'vector'],
  [`${torch}bias`, `${ours}/beta`, 'vector'],
];
const attention = (torch: string, ours: string): WeightMap => [
  ...dense(`${torch}q_proj.`, `${ours}/q`),
  ...dense(`${torch}k_proj.`, `${ours}/k`),
  ...dense(`${torch}v_proj.`, `${ours}/v`),
  ...dense(`${torch}out_proj.`, `${ours}/out`),
];
/** nn.LSTM / nn.GRU of one layer: weight_ih_l0 and weight_hh_l0 are our kernels transposed. */
const recurrent = (ours: string): WeightMap => [
  ['weight_ih_l0', `${ours}/kernel`, 'linear'],
  ['weight_hh_l0', `${ours}/recurrentKernel`, 'linear'],
  ['bias_ih_l0', `${ours}/bias`, 'vector'],
  ['bias_hh_l0', `${ours}/recurrentBias`, 'vector'],
];
const img = (h: number, w: number, c: number): InputSpec => ({ shape: [BATCH, h, w, c] });
const t = (...shape: number[]): InputSpec => ({ shape: [BATCH, ...shape] });
const ids = (max: number, ...shape: number[]): InputSpec => ({ shape: [BATCH, ...shape], ids: max });
const logdet: InputSpec = { shape: [BATCH] };
const schedule = (params: Record<string, unknown>) => ({
  sources: { nodes: [{ id: 'sched', kind: 'NoiseSchedule', params }], edges: ['sched.schedule->n.schedule'] },
  extra: (analysis: Analysis) => ({ schedule: analysis.ops.find((op) => op.id === 'sched')!.params }),
});

const ACTIVATION_FNS = ['linear', 'relu', 'leakyRelu', 'gelu', 'silu', 'tanh', 'sigmoid', 'softplus', 'exp'];

export const PRIMITIVES: OracleCase[] = [
  { name: 'Dense [B, 5] → 4', kind: 'Dense', params: { units: 4 }, inputs: { x: t(5) }, weights: dense('', 'n') },
  { name: 'Dense [B, 3, 5] → 6 relu (fused)', kind: 'Dense', params: { units: 6, activation: 'relu' }, inputs: { x: t(3, 5) }, weights: dense('', 'n') },
  { name: 'Dense [B, 2, 3, 4] → 3 sigmoid (fused)', kind: 'Dense', params: { units: 3, activation: 'sigmoid' }, inputs: { x: t(2, 3, 4) }, weights: dense('', 'n') },
  { name: 'Dense gelu without bias', kind: 'Dense', params: { units: 5, activation: 'gelu', useBias: false }, inputs: { x: t(4) }, weights: dense('', 'n', false) },
  { name: 'Dense silu, zero-initialised kernel', kind: 'Dense', params: { units: 3, activation: 'silu', kernelInit: 'zeros' }, inputs: { x: t(6) }, weights: dense('', 'n') },
  ...ACTIVATION_FNS.map((fn): OracleCase => ({ name: `Activation ${fn}`, kind: 'Activation', params: { fn }, inputs: { x: { shape: [BATCH, 3, 4], scale: 2 } } })),
  { name: 'Add', kind: 'Add', inputs: { a: t(3, 4), b: t(3, 4) } },
  { name: 'Add broadcasting [B, 1, 4]', kind: 'Add', inputs: { a: t(3, 4), b: t(1, 4) } },
  { name: 'Multiply', kind: 'Multiply', inputs: { a: t(3, 4), b: t(3, 4) } },
  { name: 'Multiply broadcasting [B, 3, 1]', kind: 'Multiply', inputs: { a: t(3, 4), b: t(3, 1) } },
  { name: 'ScaleShift', kind: 'ScaleShift', params: { scale: 0.5, shift: -1.25 }, inputs: { x: t(3, 4) } },
  { name: 'Logit on an image with logdet', kind: 'Logit', params: { alpha: 0.05 }, inputs: { x: { shape: [BATCH, 2, 2, 3], range: [0, 1] }, logdet } },
  { name: 'Logit [B, D], α 0.3', kind: 'Logit', params: { alpha: 0.3 }, inputs: { x: { shape: [BATCH, 5], range: [0, 1] } } },
  { name: 'ScaleShift on an image with logdet, negative scale', kind: 'ScaleShift', params: { scale: -3, shift: 0.5 }, inputs: { x: img(2, 2, 3), logdet } },
  { name: 'Reshape [B, 12] → [3, 4]', kind: 'Reshape', params: { shape: [3, 4] }, inputs: { x: t(12) } },
  { name: 'Reshape [B, 2, 3, 2] → [6, 2]', kind: 'Reshape', params: { shape: [6, 2] }, inputs: { x: t(2, 3, 2) } },
  { name: 'Flatten an image', kind: 'Flatten', inputs: { x: img(3, 3, 2) } },
  { name: 'Conv2D 3×3 same relu', kind: 'Conv2D', params: { filters: 4, kernelSize: 3, strides: 1, activation: 'relu' }, inputs: { x: img(6, 6, 3) }, weights: conv('', 'n') },
  { name: 'Conv2D 3×3 /2 same (uneven padding) leakyRelu', kind: 'Conv2D', params: { filters: 3, kernelSize: 3, strides: 2, activation: 'leakyRelu' }, inputs: { x: img(8, 8, 2) }, weights: conv('', 'n') },
  { name: 'Conv2D 4×4 /2 same', kind: 'Conv2D', params: { filters: 3, kernelSize: 4, strides: 2 }, inputs: { x: img(6, 6, 2) }, weights: conv('', 'n') },
  { name: 'Conv2D 3×3 /2 same on 7×7', kind: 'Conv2D', params: { filters: 2, kernelSize: 3, strides: 2, activation: 'sigmoid' }, inputs: { x: img(7, 7, 2) }, weights: conv('', 'n') },
  { name: 'Conv2D 3×3 valid tanh without bias', kind: 'Conv2D', params: { filters: 2, kernelSize: 3, padding: 'valid', activation: 'tanh', useBias: false }, inputs: { x: img(6, 6, 2) }, weights: conv('', 'n', false) },
  { name: 'Conv2D 1×1', kind: 'Conv2D', params: { filters: 3, kernelSize: 1 }, inputs: { x: img(6, 6, 4) }, weights: conv('', 'n') },
  { name: 'Conv2D 1×1 /2 same (stride above kernel)', kind: 'Conv2D', params: { filters: 2, kernelSize: 1, strides: 2 }, inputs: { x: img(6, 6, 3) }, weights: conv('', 'n') },
  { name: 'Conv2D 2×2 /3 same on 7×7', kind: 'Conv2D', params: { filters: 2, kernelSize: 2, strides: 3, activation: 'softplus' }, inputs: { x: img(7, 7, 2) }, weights: conv('', 'n') },
  { name: 'MaskedConv2D 3×3 mask A', kind: 'MaskedConv2D', params: { filters: 4, kernelSize: 3, mask: 'A' }, inputs: { x: img(5, 5, 2) }, weights: conv('', 'n') },
  { name: 'MaskedConv2D 5×5 mask B relu on 6×4', kind: 'MaskedConv2D', params: { filters: 3, kernelSize: 5, mask: 'B', activation: 'relu' }, inputs: { x: img(6, 4, 3) }, weights: conv('', 'n') },
  { name: 'MaskedConv2D 7×7 mask A on one channel, tanh, no bias', kind: 'MaskedConv2D', params: { filters: 2, kernelSize: 7, mask: 'A', activation: 'tanh', useBias: false }, inputs: { x: img(5, 5, 1) }, weights: conv('', 'n', false) },
  { name: 'MaskedConv2D 1×1 mask B', kind: 'MaskedConv2D', params: { filters: 3, kernelSize: 1, mask: 'B' }, inputs: { x: img(3, 3, 4) }, weights: conv('', 'n') },
  { name: 'Conv2DTranspose 4×4 ×2 same', kind: 'Conv2DTranspose', params: { filters: 2, kernelSize: 4, strides: 2 }, inputs: { x: img(3, 3, 4) }, weights: convT('', 'n') },
  { name: 'Conv2DTranspose 3×3 ×2 same (uneven padding) sigmoid', kind: 'Conv2DTranspose', params: { filters: 2, kernelSize: 3, strides: 2, activation: 'sigmoid' }, inputs: { x: img(3, 3, 3) }, weights: convT('', 'n') },
  { name: 'Conv2DTranspose 3×3 ×1 same', kind: 'Conv2DTranspose', params: { filters: 3, kernelSize: 3, strides: 1 }, inputs: { x: img(4, 4, 2) }, weights: convT('', 'n') },
  { name: 'Conv2DTranspose 3×3 ×1 valid relu', kind: 'Conv2DTranspose', params: { filters: 3, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }, inputs: { x: img(3, 3, 2) }, weights: convT('', 'n') },
  { name: 'Conv2DTranspose 3×3 ×2 valid without bias', kind: 'Conv2DTranspose', params: { filters: 2, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }, inputs: { x: img(3, 3, 2) }, weights: convT('', 'n', false) },
  { name: 'Conv2DTranspose 2×2 ×3 same (kernel below stride)', kind: 'Conv2DTranspose', params: { filters: 2, kernelSize: 2, strides: 3 }, inputs: { x: img(3, 3, 2) }, weights: convT('', 'n') },
  { name: 'Conv2DTranspose 4×4 ×3 same (uneven padding)', kind: 'Conv2DTranspose', params: { filters: 2, kernelSize: 4, strides: 3 }, inputs: { x: img(2, 2, 3) }, weights: convT('', 'n') },
  { name: 'Conv2DTranspose 4×4 ×2 valid gelu', kind: 'Conv2DTranspose', params: { filters: 2, kernelSize: 4, strides: 2, padding: 'valid', activation: 'gelu' }, inputs: { x: img(2, 3, 2) }, weights: convT('', 'n') },
  { name: 'MaxPool2D 2×2', kind: 'MaxPool2D', inputs: { x: img(6, 6, 2) } },
  { name: 'MaxPool2D 3×3 /2 same', kind: 'MaxPool2D', params: { poolSize: 3, strides: 2, padding: 'same' }, inputs: { x: img(6, 6, 2) } },
  { name: 'MaxPool2D 3×3 /1 valid', kind: 'MaxPool2D', params: { poolSize: 3, strides: 1 }, inputs: { x: img(6, 6, 2) } },
  { name: 'MaxPool2D 2×2 /3 same on 7×7', kind: 'MaxPool2D', params: { poolSize: 2, strides: 3, padding: 'same' }, inputs: { x: img(7, 7, 2) } },
  { name: 'AvgPool2D 2×2', kind: 'AvgPool2D', inputs: { x: img(6, 6, 2) } },
  { name: 'AvgPool2D 3×3 /2 same', kind: 'AvgPool2D', params: { poolSize: 3, strides: 2, padding: 'same' }, inputs: { x: img(6, 6, 2) } },
  { name: 'AvgPool2D 3×3 /1 same', kind: 'AvgPool2D', params: { poolSize: 3, strides: 1, padding: 'same' }, inputs: { x: img(6, 6, 2) } },
  { name: 'AvgPool2D 2×2 /2 same on 7×7', kind: 'AvgPool2D', params: { poolSize: 2, padding: 'same' }, inputs: { x: img(7, 7, 1) } },
  { name: 'AvgPool2D 3×3 /1 valid (overlapping)', kind: 'AvgPool2D', params: { poolSize: 3, strides: 1 }, inputs: { x: img(5, 5, 2) } },
  { name: 'Upsample2D ×2', kind: 'Upsample2D', inputs: { x: img(3, 3, 2) } },
  { name: 'Upsample2D ×3', kind: 'Upsample2D', params: { factor: 3 }, inputs: { x: img(2, 3, 2) } },
  { name: 'Upsample2D ×1', kind: 'Upsample2D', params: { factor: 1 }, inputs: { x: img(2, 2, 2) } },
  { name: 'BatchNorm on an image', kind: 'BatchNorm', inputs: { x: img(4, 4, 3) }, weights: norm('', 'n') },
  { name: 'BatchNorm on [B, T, C], epsilon 1e-5', kind: 'BatchNorm', params: { epsilon: 1e-5 }, inputs: { x: t(3, 5) }, weights: norm('', 'n') },
  { name: 'BatchNorm on [B, C]', kind: 'BatchNorm', inputs: { x: t(6) }, weights: norm('', 'n') },
  { name: 'LayerNorm [B, T, D]', kind: 'LayerNorm', inputs: { x: t(3, 8) }, weights: norm('', 'n') },
  { name: 'LSTM with h0 and c0', kind: 'LSTM', params: { units: 3 }, inputs: { x: t(4, 2), h0: t(3), c0: t(3) }, weights: recurrent('n') },
  { name: 'LSTM from zeros, last state only', kind: 'LSTM', params: { units: 4, returnSequences: false }, inputs: { x: t(5, 3) }, weights: recurrent('n') },
  { name: 'GRU with h0', kind: 'GRU', params: { units: 3 }, inputs: { x: t(4, 2), h0: t(3) }, weights: recurrent('n') },
  { name: 'GRU from zeros, last state only', kind: 'GRU', params: { units: 4, returnSequences: false }, inputs: { x: t(5, 3) }, weights: recurrent('n') },
  { name: 'LayerNorm [B, D], epsilon 1e-3', kind: 'LayerNorm', params: { epsilon: 1e-3 }, inputs: { x: t(6) }, weights: norm('', 'n') },
  { name: 'LayerNorm on an image', kind: 'LayerNorm', inputs: { x: img(2, 3, 4) }, weights: norm('', 'n') },
  { name: 'GroupNorm on an image, 2 groups', kind: 'GroupNorm', params: { groups: 2 }, inputs: { x: img(3, 3, 4) }, weights: norm('', 'n') },
  { name: 'GroupNorm on an image, a group per channel', kind: 'GroupNorm', params: { groups: 3 }, inputs: { x: img(2, 3, 3) }, weights: norm('', 'n') },
  { name: 'GroupNorm [B, D], 3 groups, epsilon 1e-3', kind: 'GroupNorm', params: { groups: 3, epsilon: 1e-3 }, inputs: { x: t(12) }, weights: norm('', 'n') },
  { name: 'GroupNorm [B, T, D], one group', kind: 'GroupNorm', params: { groups: 1 }, inputs: { x: t(4, 6) }, weights: norm('', 'n') },
  { name: 'Dropout 0.3 (training)', kind: 'Dropout', params: { rate: 0.3 }, inputs: { x: t(4, 5) } },
  { name: 'StopGradient', kind: 'StopGradient', inputs: { x: t(3, 4) } },
  { name: 'StraightThrough', kind: 'StraightThrough', inputs: { value: t(2, 3), gradient: t(2, 3) } },
  // The codebook keeps its initialiser (uniform in ±1/codes); ids, codes, loss and perplexity are compared, and the gradients of y (straight through to z) and of the loss.
  { name: 'VectorQuantizer [B, T, D], summed loss', kind: 'VectorQuantizer', params: { codes: 6 }, inputs: { z: t(5, 3) }, weights: [['codebook', 'n/codebook', 'vector']] },
  { name: 'VectorQuantizer with unit vectors and codes', kind: 'VectorQuantizer', params: { codes: 5, normalize: true, beta: 0.5 }, inputs: { z: t(4, 3) }, weights: [['codebook', 'n/codebook', 'vector']] },
  { name: 'VectorQuantizer on an image, mean loss, beta 1, weight 0.5', kind: 'VectorQuantizer', params: { codes: 4, reduction: 'mean', beta: 1, weight: 0.5 }, inputs: { z: img(3, 3, 2) }, weights: [['codebook', 'n/codebook', 'vector']] },
  { name: 'SinusoidalEmbedding 8', kind: 'SinusoidalEmbedding', params: { dim: 8 }, inputs: { t: { shape: [BATCH], ids: 50 } } },
  { name: 'SinusoidalEmbedding 2, maxPeriod 100', kind: 'SinusoidalEmbedding', params: { dim: 2, maxPeriod: 100 }, inputs: { t: { shape: [BATCH], ids: 50 } } },
  { name: 'Embedding [B, T] (repeated ids)', kind: 'Embedding', params: { vocabSize: 5, dim: 4 }, inputs: { tokens: { shape: [BATCH, 4], ids: 5, values: [1, 3, 3, 0, 4, 1, 1, 2] } }, weights: [['weight', 'n/table', 'vector']] },
  { name: 'Embedding [B]', kind: 'Embedding', params: { vocabSize: 7, dim: 3 }, inputs: { tokens: { shape: [BATCH], ids: 7 } }, weights: [['weight', 'n/table', 'vector']] },
  { name: 'PositionalEncoding learned', kind: 'PositionalEncoding', params: { maxLength: 6 }, inputs: { x: t(4, 6) }, weights: [['positions', 'n/positions', 'vector']] },
  { name: 'PositionalEncoding sinusoidal', kind: 'PositionalEncoding', params: { mode: 'sinusoidal', maxLength: 8 }, inputs: { x: t(4, 6) } },
  { name: 'PositionalEncoding sinusoidal, odd width', kind: 'PositionalEncoding', params: { mode: 'sinusoidal' }, inputs: { x: t(3, 5) } },
  { name: 'Softmax last axis', kind: 'Softmax', inputs: { x: { shape: [BATCH, 3, 5], scale: 2 } } },
  { name: 'Softmax axis 1', kind: 'Softmax', params: { axis: 1 }, inputs: { x: { shape: [BATCH, 4, 3], scale: 2 } } },
  { name: 'Softmax axis -2 of rank 4', kind: 'Softmax', params: { axis: -2 }, inputs: { x: t(2, 3, 4) } },
  { name: 'Transpose [0, 2, 1]', kind: 'Transpose', inputs: { x: t(3, 4) } },
  { name: 'Transpose [0, 3, 1, 2]', kind: 'Transpose', params: { perm: [0, 3, 1, 2] }, inputs: { x: t(2, 3, 4) } },
  { name: 'MatMul', kind: 'MatMul', inputs: { a: t(3, 4), b: t(4, 5) } },
  { name: 'MatMul a·bᵀ scaled, rank 4', kind: 'MatMul', params: { transposeB: true, scale: 0.5 }, inputs: { a: t(2, 3, 4), b: t(2, 5, 4) } },
  { name: 'CausalMask [B, T, T]', kind: 'CausalMask', inputs: { scores: t(4, 4) } },
  { name: 'CausalMask [B, H, T, T]', kind: 'CausalMask', inputs: { scores: t(2, 3, 3) } },
  { name: 'SplitHeads', kind: 'SplitHeads', params: { heads: 2 }, inputs: { x: t(3, 8) } },
  { name: 'MergeHeads', kind: 'MergeHeads', inputs: { x: t(2, 3, 4) } },
];

export const FLOWS: OracleCase[] = [
  { name: 'Split in half', kind: 'Split', inputs: { x: t(7) } },
  { name: 'Split axis 1 at 1', kind: 'Split', params: { axis: 1, at: 1 }, inputs: { x: t(3, 4) } },
  { name: 'Split image channels', kind: 'Split', params: { axis: -1, at: 1 }, inputs: { x: img(2, 2, 3) } },
  { name: 'Concat last axis', kind: 'Concat', inputs: { a: t(3, 2), b: t(3, 4) } },
  { name: 'Concat axis 1', kind: 'Concat', params: { axis: 1 }, inputs: { a: t(2, 4), b: t(3, 4) } },
  { name: 'Concat image channels', kind: 'Concat', inputs: { a: img(3, 3, 2), b: img(3, 3, 1) } },
  { name: 'AffineCoupling with logdet', kind: 'AffineCoupling', inputs: { x: t(4), s: t(4), t: t(4), logdet } },
  { name: 'AffineCoupling clamp 2', kind: 'AffineCoupling', params: { clamp: 2 }, inputs: { x: t(4), s: { shape: [BATCH, 4], scale: 3 }, t: t(4) } },
  { name: 'AffineCoupling on an image, clamp 1.5', kind: 'AffineCoupling', params: { clamp: 1.5 }, inputs: { x: img(2, 2, 2), s: img(2, 2, 2), t: img(2, 2, 2), logdet } },
  { name: 'Permute reverse with logdet', kind: 'Permute', inputs: { x: t(5), logdet } },
  {
    name: 'Permute random',
    kind: 'Permute',
    params: { mode: 'random', seed: 5 },
    inputs: { x: t(3, 6) },
    extra: () => ({ order: permutation(6, 'random', 5) }),
  },
  { name: 'ActNorm [B, D]', kind: 'ActNorm', inputs: { x: t(6) }, weights: [['log_scale', 'n/logScale', 'vector'], ['bias', 'n/bias', 'vector']] },
  {
    name: 'ActNorm on an image with logdet',
    kind: 'ActNorm',
    inputs: { x: img(3, 3, 4), logdet },
    weights: [['log_scale', 'n/logScale', 'vector'], ['bias', 'n/bias', 'vector']],
  },
  { name: 'NoiseSchedule linear', kind: 'NoiseSchedule', params: { steps: 12, betaStart: 1e-3, betaEnd: 0.05 }, inputs: {} },
  { name: 'NoiseSchedule cosine', kind: 'NoiseSchedule', params: { steps: 16, kind: 'cosine' }, inputs: {} },
  { name: 'Noise normal', kind: 'Noise', params: { shape: [3, 2] }, inputs: {}, extra: () => ({ batch: BATCH }) },
  { name: 'Noise uniform', kind: 'Noise', params: { shape: [4], distribution: 'uniform' }, inputs: {}, extra: () => ({ batch: BATCH }) },
  { name: 'Constant ones', kind: 'Constant', params: { fill: 'ones', shape: [2, 3] }, inputs: {}, extra: () => ({ batch: BATCH }) },
  { name: 'Constant value like an image', kind: 'Constant', params: { fill: 'value', value: -1.5 }, inputs: { like: img(2, 2, 3) } },
  { name: 'Constant list', kind: 'Constant', params: { fill: 'values', values: [0.5, -1, 2, 0, 3, 7], shape: [3, 2] }, inputs: {}, extra: () => ({ batch: BATCH }) },
  { name: 'Constant label for every example', kind: 'Constant', params: { type: 'tokens', fill: 'value', value: 7, shape: [] }, inputs: {}, extra: () => ({ batch: BATCH }) },
  { name: 'Constant ids like tokens', kind: 'Constant', params: { type: 'tokens', fill: 'values', values: [1, 5, 2, 1] }, inputs: { like: ids(9, 4) } },
  { name: 'Diffuse, linear schedule', kind: 'Diffuse', inputs: { x0: t(6) }, ...schedule({ steps: 20 }) },
  { name: 'Diffuse an image, cosine schedule', kind: 'Diffuse', inputs: { x0: img(3, 3, 2) }, ...schedule({ steps: 10, kind: 'cosine' }) },
];

export const BLOCKS: OracleCase[] = [
  { name: 'Reparameterize', kind: 'Reparameterize', inputs: { mu: t(4), logvar: t(4) } },
  {
    name: 'Encoder mlp',
    kind: 'Encoder',
    params: { hidden: [8, 6], latent: 3 },
    inputs: { x: t(7) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('body.1.', 'n/fc1'), ...dense('mu.', 'n/mu'), ...dense('logvar.', 'n/logvar')],
  },
  {
    name: 'Encoder mlp on an image, gelu',
    kind: 'Encoder',
    params: { hidden: [6], latent: 2, activation: 'gelu' },
    inputs: { x: img(3, 3, 2) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('mu.', 'n/mu'), ...dense('logvar.', 'n/logvar')],
  },
  {
    name: 'Encoder conv',
    kind: 'Encoder',
    params: { architecture: 'conv', hidden: [4, 6], latent: 3, activation: 'leakyRelu' },
    inputs: { x: img(8, 8, 2) },
    weights: [...conv('body.0.', 'n/conv0'), ...conv('body.1.', 'n/conv1'), ...dense('mu.', 'n/mu'), ...dense('logvar.', 'n/logvar')],
  },
  {
    name: 'Encoder conv on 7×7 (uneven padding)',
    kind: 'Encoder',
    params: { architecture: 'conv', hidden: [3], latent: 2, activation: 'tanh' },
    inputs: { x: img(7, 7, 1) },
    weights: [...conv('body.0.', 'n/conv0'), ...dense('mu.', 'n/mu'), ...dense('logvar.', 'n/logvar')],
  },
  {
    name: 'Decoder mlp',
    kind: 'Decoder',
    params: { hidden: [6, 5], outputShape: [7], outputActivation: 'sigmoid' },
    inputs: { z: t(3) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('body.1.', 'n/fc1'), ...dense('out.', 'n/out')],
  },
  {
    name: 'Decoder mlp to an image, tanh',
    kind: 'Decoder',
    params: { hidden: [5], outputShape: [2, 3, 2], outputActivation: 'tanh', activation: 'silu' },
    inputs: { z: t(3) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('out.', 'n/out')],
  },
  {
    name: 'Decoder conv',
    kind: 'Decoder',
    params: { architecture: 'conv', hidden: [6, 4], outputShape: [8, 8, 2] },
    inputs: { z: t(3) },
    weights: [...dense('fc.', 'n/fc'), ...convT('up.1.', 'n/deconv1'), ...convT('out.', 'n/out')],
  },
  {
    name: 'Generator (DCGAN, batch norm)',
    kind: 'Generator',
    params: { hidden: [6, 4], outputShape: [8, 8, 1] },
    inputs: { z: t(5) },
    weights: [...dense('fc.', 'n/fc', false), ...norm('bn.0.', 'n/bn0'), ...convT('up.1.', 'n/deconv1', false), ...norm('bn.1.', 'n/bn1'), ...convT('out.', 'n/out')],
  },
  {
    name: 'Generator with one upsampling',
    kind: 'Generator',
    params: { hidden: [4], outputShape: [4, 6, 2], activation: 'leakyRelu' },
    inputs: { z: t(3) },
    weights: [...dense('fc.', 'n/fc', false), ...norm('bn.0.', 'n/bn0'), ...convT('out.', 'n/out')],
  },
  {
    name: 'Decoder conv, three upsamplings with batch norm',
    kind: 'Decoder',
    params: { architecture: 'conv', hidden: [4, 3, 2], outputShape: [8, 8, 1], batchNorm: true, outputActivation: 'sigmoid' },
    inputs: { z: t(3) },
    weights: [
      ...dense('fc.', 'n/fc', false),
      ...norm('bn.0.', 'n/bn0'),
      ...convT('up.1.', 'n/deconv1', false),
      ...norm('bn.1.', 'n/bn1'),
      ...convT('up.2.', 'n/deconv2', false),
      ...norm('bn.2.', 'n/bn2'),
      ...convT('out.', 'n/out'),
    ],
  },
  {
    name: 'Generator mlp',
    kind: 'Generator',
    params: { architecture: 'mlp', hidden: [6], outputShape: [5] },
    inputs: { z: t(3) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('out.', 'n/out')],
  },
  {
    name: 'Discriminator conv',
    kind: 'Discriminator',
    params: { hidden: [4, 6] },
    inputs: { x: img(8, 8, 2) },
    weights: [...conv('body.0.', 'n/conv0'), ...conv('body.1.', 'n/conv1'), ...dense('logit.', 'n/logit')],
  },
  {
    name: 'Discriminator conv with dropout',
    kind: 'Discriminator',
    params: { hidden: [3], dropout: 0.25 },
    inputs: { x: img(6, 6, 1) },
    weights: [...conv('body.0.', 'n/conv0'), ...dense('logit.', 'n/logit')],
  },
  {
    name: 'Discriminator mlp with dropout',
    kind: 'Discriminator',
    params: { architecture: 'mlp', hidden: [8, 5], dropout: 0.3, activation: 'relu' },
    inputs: { x: t(6) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('body.1.', 'n/fc1'), ...dense('logit.', 'n/logit')],
  },
  {
    name: 'Discriminator mlp on an image',
    kind: 'Discriminator',
    params: { architecture: 'mlp', hidden: [5] },
    inputs: { x: img(3, 3, 2) },
    weights: [...dense('body.0.', 'n/fc0'), ...dense('logit.', 'n/logit')],
  },
  { name: 'AttentionBlock causal', kind: 'AttentionBlock', params: { heads: 2, causal: true }, inputs: { x: t(4, 8) }, weights: attention('', 'n') },
  { name: 'AttentionBlock, 3 heads', kind: 'AttentionBlock', params: { heads: 3 }, inputs: { x: t(3, 6) }, weights: attention('', 'n') },
  { name: 'AttentionBlock cross', kind: 'AttentionBlock', params: { heads: 2 }, inputs: { x: t(3, 8), context: t(4, 6) }, weights: attention('', 'n') },
  { name: 'AttentionBlock cross, causal', kind: 'AttentionBlock', params: { heads: 2, causal: true }, inputs: { x: t(3, 4), context: t(3, 5) }, weights: attention('', 'n') },
  {
    name: 'TransformerBlock causal',
    kind: 'TransformerBlock',
    params: { heads: 2, mlpRatio: 2 },
    inputs: { x: t(4, 8) },
    weights: [...norm('ln1.', 'n/ln_attn'), ...attention('attn.', 'n/attn'), ...norm('ln2.', 'n/ln_mlp'), ...dense('mlp.fc.', 'n/mlp_fc'), ...dense('mlp.proj.', 'n/mlp_proj')],
  },
  {
    name: 'TransformerBlock with cross-attention',
    kind: 'TransformerBlock',
    params: { heads: 2, causal: false, mlpRatio: 1.5 },
    inputs: { x: t(3, 4), context: t(4, 6) },
    weights: [
      ...norm('ln1.', 'n/ln_attn'),
      ...attention('attn.', 'n/attn'),
      ...norm('ln_cross.', 'n/ln_cross'),
      ...attention('cross.', 'n/cross'),
      ...norm('ln2.', 'n/ln_mlp'),
      ...dense('mlp.fc.', 'n/mlp_fc'),
      ...dense('mlp.proj.', 'n/mlp_proj'),
    ],
  },
  {
    name: 'CouplingLayer with logdet',
    kind: 'CouplingLayer',
    params: { hidden: 6 },
    inputs: { x: t(5), logdet },
    weights: [...dense('net.0.', 'n/h1'), ...dense('net.1.', 'n/h2'), ...dense('s.', 'n/s'), ...dense('t.', 'n/t')],
  },
  {
    name: 'CouplingLayer flip, reverse, no clamp',
    kind: 'CouplingLayer',
    params: { hidden: 4, layers: 1, activation: 'tanh', flip: true, permute: 'reverse', clamp: 0 },
    inputs: { x: t(5) },
    weights: [...dense('net.0.', 'n/h1'), ...dense('s.', 'n/s'), ...dense('t.', 'n/t')],
  },
  {
    name: 'CouplingLayer without hidden layers',
    kind: 'CouplingLayer',
    params: { layers: 0, clamp: 1 },
    inputs: { x: t(4), logdet },
    weights: [...dense('s.', 'n/s'), ...dense('t.', 'n/t')],
  },
  {
    name: 'TimeEmbedding',
    kind: 'TimeEmbedding',
    params: { dim: 6, hidden: 8 },
    inputs: { t: { shape: [BATCH], ids: 30 } },
    weights: [...dense('fc1.', 'n/fc1'), ...dense('fc2.', 'n/fc2')],
  },
  {
    name: 'UNetBlock with a time embedding and a 1×1 skip',
    kind: 'UNetBlock',
    params: { filters: 4 },
    inputs: { x: img(6, 6, 3), temb: t(5) },
    weights: [...conv('conv1.', 'n/conv1'), ...conv('conv2.', 'n/conv2'), ...dense('temb_proj.', 'n/temb_proj'), ...conv('skip.', 'n/skip')],
  },
  {
    name: 'UNetBlock, identity skip, relu',
    kind: 'UNetBlock',
    params: { filters: 3, activation: 'relu' },
    inputs: { x: img(6, 6, 3) },
    weights: [...conv('conv1.', 'n/conv1'), ...conv('conv2.', 'n/conv2')],
  },
  {
    name: 'UNetBlock with GroupNorm, a time embedding and a 1×1 skip',
    kind: 'UNetBlock',
    params: { filters: 6, norm: 'group', groups: 2 },
    inputs: { x: img(4, 4, 4), temb: t(5) },
    weights: [...norm('norm1.', 'n/norm1'), ...conv('conv1.', 'n/conv1'), ...dense('temb_proj.', 'n/temb_proj'), ...norm('norm2.', 'n/norm2'), ...conv('conv2.', 'n/conv2'), ...conv('skip.', 'n/skip')],
  },
  {
    name: 'UNetBlock with GroupNorm, identity skip, relu',
    kind: 'UNetBlock',
    params: { filters: 3, activation: 'relu', norm: 'group', groups: 3 },
    inputs: { x: img(4, 4, 3) },
    weights: [...norm('norm1.', 'n/norm1'), ...conv('conv1.', 'n/conv1'), ...norm('norm2.', 'n/norm2'), ...conv('conv2.', 'n/conv2')],
  },
];

export const OBJECTIVES: OracleCase[] = [
  { name: 'ReconstructionLoss bce from logits, sum', kind: 'ReconstructionLoss', inputs: { prediction: { shape: [BATCH, 6], scale: 2 }, target: { shape: [BATCH, 6], range: [0, 1] } } },
  {
    name: 'ReconstructionLoss bce from logits, mean, weight 0.5',
    kind: 'ReconstructionLoss',
    params: { reduction: 'mean', weight: 0.5 },
    inputs: { prediction: img(3, 3, 1), target: { shape: [BATCH, 3, 3, 1], range: [0, 1] } },
  },
  {
    name: 'ReconstructionLoss bce from probabilities',
    kind: 'ReconstructionLoss',
    params: { fromLogits: false },
    inputs: { prediction: { shape: [BATCH, 5], range: [0.05, 0.95] }, target: { shape: [BATCH, 5], range: [0, 1] } },
  },
  { name: 'ReconstructionLoss mse, sum', kind: 'ReconstructionLoss', params: { loss: 'mse' }, inputs: { prediction: t(6), target: t(6) } },
  {
    name: 'ReconstructionLoss bce from probabilities, some clipped at 0',
    kind: 'ReconstructionLoss',
    params: { fromLogits: false, reduction: 'mean' },
    inputs: { prediction: { shape: [BATCH, 6], range: [-0.3, 0.95] }, target: { shape: [BATCH, 6], range: [0, 1] } },
  },
  { name: 'ReconstructionLoss mse on images, mean', kind: 'ReconstructionLoss', params: { loss: 'mse', reduction: 'mean' }, inputs: { prediction: img(3, 3, 2), target: img(3, 3, 2) } },
  { name: 'KLDivergence', kind: 'KLDivergence', inputs: { mu: t(5), logvar: t(5) } },
  { name: 'KLDivergence, weight 2', kind: 'KLDivergence', params: { weight: 2 }, inputs: { mu: t(3), logvar: t(3) } },
  { name: 'AdversarialLoss discriminator', kind: 'AdversarialLoss', inputs: { real: { shape: [BATCH, 1], scale: 2 }, fake: { shape: [BATCH, 1], scale: 2 } } },
  { name: 'AdversarialLoss generator', kind: 'AdversarialLoss', params: { side: 'generator' }, inputs: { fake: { shape: [BATCH, 1], scale: 2 } } },
  {
    name: 'AdversarialLoss generator with real connected, weight 0.3',
    kind: 'AdversarialLoss',
    params: { side: 'generator', weight: 0.3 },
    inputs: { real: t(1), fake: t(1) },
  },
  ...(['least-squares', 'hinge', 'wasserstein'] as const).flatMap((loss): OracleCase[] => [
    { name: `AdversarialLoss ${loss} discriminator`, kind: 'AdversarialLoss', params: { loss }, inputs: { real: { shape: [BATCH, 1], scale: 2 }, fake: { shape: [BATCH, 1], scale: 2 } } },
    { name: `AdversarialLoss ${loss} generator, weight 0.3`, kind: 'AdversarialLoss', params: { loss, side: 'generator', weight: 0.3 }, inputs: { fake: { shape: [BATCH, 1], scale: 2 } } },
  ]),
  { name: 'AdversarialLoss hinge on [B, 3] outputs', kind: 'AdversarialLoss', params: { loss: 'hinge' }, inputs: { real: { shape: [BATCH, 3], scale: 2 }, fake: { shape: [BATCH, 3], scale: 2 } } },
  { name: 'FlowNLL', kind: 'FlowNLL', inputs: { z: t(4), logdet } },
  { name: 'FlowNLL per dimension on images', kind: 'FlowNLL', params: { perDimension: true }, inputs: { z: img(2, 2, 3), logdet } },
  { name: 'FlowNLL on [B, T, D], weight 0.5', kind: 'FlowNLL', params: { weight: 0.5 }, inputs: { z: t(3, 2), logdet } },
  { name: 'DiffusionLoss', kind: 'DiffusionLoss', inputs: { prediction: t(6), noise: t(6) } },
  { name: 'DiffusionLoss on images, weight 1.5', kind: 'DiffusionLoss', params: { weight: 1.5 }, inputs: { prediction: img(3, 3, 2), noise: img(3, 3, 2) } },
  {
    name: 'NextTokenCrossEntropy ignoring padding',
    kind: 'NextTokenCrossEntropy',
    inputs: { logits: t(4, 6), targets: { shape: [BATCH, 4], ids: 6, values: [2, 5, 0, 0, 1, 3, 4, 0] } },
  },
  { name: 'NextTokenCrossEntropy counting every position', kind: 'NextTokenCrossEntropy', params: { ignoreIndex: -1 }, inputs: { logits: t(3, 5), targets: ids(5, 3) } },
  {
    name: 'NextTokenCrossEntropy ignoring id 2, weight 0.4',
    kind: 'NextTokenCrossEntropy',
    params: { ignoreIndex: 2, weight: 0.4 },
    inputs: { logits: t(3, 4), targets: { shape: [BATCH, 3], ids: 4, values: [2, 0, 1, 3, 2, 2] } },
  },
  {
    name: 'NextTokenCrossEntropy over a map of codes, every code counted',
    kind: 'NextTokenCrossEntropy',
    params: { ignoreIndex: -1 },
    inputs: { logits: t(2, 3, 5), targets: { shape: [BATCH, 2, 3], ids: 5 } },
  },
  {
    name: 'NextTokenCrossEntropy of padding only',
    kind: 'NextTokenCrossEntropy',
    inputs: { logits: t(3, 4), targets: { shape: [BATCH, 3], ids: 4, values: [0, 0, 0, 0, 0, 0] } },
  },
  { name: 'ClassificationLoss', kind: 'ClassificationLoss', inputs: { logits: { shape: [BATCH, 5], scale: 2 }, labels: { shape: [BATCH], ids: 5 } } },
  { name: 'ClassificationLoss, weight 0.7', kind: 'ClassificationLoss', params: { weight: 0.7 }, inputs: { logits: t(3), labels: { shape: [BATCH], ids: 3 } } },
];

export const CASES: OracleCase[] = [...PRIMITIVES, ...FLOWS, ...BLOCKS, ...OBJECTIVES];

/**
 * Cases only the export test (tests/export/torch-kinds.test.ts) runs: kinds
 * and params the oracle's reference does not write. Tied matrices come from
 * a lender among the sources, fed by the same input; the case lists the
 * lender's variables under the lender's torch names.
 */
export const EXPORT_CASES: OracleCase[] = [
  { name: 'ConditionDropout 0.5', kind: 'ConditionDropout', params: { rate: 0.5, nullLabel: 3 }, inputs: { labels: { shape: [BATCH], ids: 3 } } },
  { name: 'ConditionDropout 0 (labels passed through)', kind: 'ConditionDropout', params: { rate: 0 }, inputs: { labels: { shape: [BATCH], ids: 10 } } },
  { name: 'Interpolate [B, D]', kind: 'Interpolate', inputs: { a: t(5), b: t(5) } },
  { name: 'Interpolate images', kind: 'Interpolate', inputs: { a: img(2, 3, 2), b: img(2, 3, 2) } },
  { name: 'Dropout 0.5 on an image', kind: 'Dropout', params: { rate: 0.5 }, inputs: { x: img(2, 2, 3) } },
  { name: 'Dropout 0 (no draws)', kind: 'Dropout', params: { rate: 0 }, inputs: { x: t(3) } },
  { name: 'Constant zeros [B, 2, 2]', kind: 'Constant', params: { shape: [2, 2] }, inputs: {} },
  { name: 'Constant tokens like labels', kind: 'Constant', params: { type: 'tokens', fill: 'value', value: 3 }, inputs: { like: { shape: [BATCH], ids: 5 } } },
  { name: 'Embedding at unit length', kind: 'Embedding', params: { vocabSize: 6, dim: 3, normalize: true }, inputs: { tokens: ids(6, 4) }, weights: [['weight', 'n/table', 'vector']] },
  { name: 'Embedding of a map of codes [B, H, W]', kind: 'Embedding', params: { vocabSize: 5, dim: 2 }, inputs: { tokens: ids(5, 2, 3) }, weights: [['weight', 'n/table', 'vector']] },
  {
    name: 'Dense tied to a Dense (its kernel, transposed)',
    kind: 'Dense',
    params: { units: 4, tiedTo: 'lend' },
    inputs: { x: t(4) },
    sources: { nodes: [{ id: 'lend', kind: 'Dense', params: { units: 4 } }], edges: ['in_x.x->lend.x'] },
    weights: [...dense('lend.', 'lend'), ['bias', 'n/bias', 'vector']],
  },
  {
    name: "Dense tied to a quantizer's codebook (logits against the codes)",
    kind: 'Dense',
    params: { units: 6, useBias: false, tiedTo: 'vq' },
    inputs: { x: t(3, 4) },
    sources: { nodes: [{ id: 'vq', kind: 'VectorQuantizer', params: { codes: 6 } }], edges: ['in_x.x->vq.z'] },
    weights: [['vq.codebook', 'vq/codebook', 'vector']],
  },
  {
    name: 'Embedding tied to an Embedding',
    kind: 'Embedding',
    params: { vocabSize: 5, dim: 3, tiedTo: 'lend' },
    inputs: { tokens: ids(5, 4) },
    sources: { nodes: [{ id: 'lend', kind: 'Embedding', params: { vocabSize: 5, dim: 3 } }], edges: ['in_tokens.x->lend.tokens'] },
    weights: [['lend.weight', 'lend/table', 'vector']],
  },
];

export interface Flat {
  shape: number[];
  values: number[];
}

export function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function drawInput(spec: InputSpec, rng: Rng): Float32Array | Int32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.values) {
    if (spec.values.length !== n) throw new Error(`input has ${spec.values.length} values for shape [${spec.shape}]`);
    return spec.ids !== undefined ? Int32Array.from(spec.values) : Float32Array.from(spec.values);
  }
  if (spec.ids !== undefined) return Int32Array.from({ length: n }, () => rng.integer(spec.ids!));
  const [lo, hi] = spec.range ?? [0, 0];
  return Float32Array.from({ length: n }, () => (spec.range ? lo + (hi - lo) * rng.uniform() : rng.normal() * (spec.scale ?? 1)));
}

/** Glorot and uniform kernels keep their initialiser; constants get jitter, tables a wider normal. */
export function variableValues(init: Init, shape: number[], rng: Rng): Float32Array {
  const values = initialValues(init, shape, rng);
  if (init.kind === 'glorotUniform' || init.kind === 'uniform') return values;
  const jitter = init.kind === 'normal' ? 0.5 : 0.3;
  return values.map((v) => (init.kind === 'normal' ? 0 : v) + jitter * rng.normal());
}

/** A random source that remembers what it drew, so the reference gets the same numbers. */
export function recordingRandom(seed: number): RandomSource & { draws: { kind: string; shape: number[]; values: number[] }[] } {
  const inner = createRandom(seed);
  const draws: { kind: string; shape: number[]; values: number[] }[] = [];
  const keep = (kind: string, shape: readonly number[], t: tf.Tensor) => {
    draws.push({ kind, shape: [...shape], values: Array.from(t.dataSync()) });
    return t;
  };
  return {
    draws,
    normal: (shape) => keep('normal', shape, inner.normal(shape)),
    uniform: (shape) => keep('uniform', shape, inner.uniform(shape)),
    integers: (shape, max) => keep('integers', shape, inner.integers(shape, max)),
  };
}

/** A case's graph analysed, with its inputs and variables drawn from the case's seed, ready to run. */
export interface PreparedCase {
  analysis: Analysis;
  /** The training step's ops: node `n`'s and those of its sources. */
  ops: FlatOp[];
  /** n's output ports → value keys. */
  outputKeys: Record<string, string>;
  /** The case's generator, past the inputs and variables (the oracle draws R from it next). */
  rng: Rng;
  inputValues: Record<string, Float32Array | Int32Array>;
  /** By variable key (`n/kernel`, or a lender's key for a tied variable). */
  variables: Map<string, { shape: number[]; values: Float32Array }>;
  /** The float inputs' ports, in the order of `floats`. */
  floatPorts: string[];
  varKeys: string[];
  /** Float inputs, then variables, as tensors (the oracle differentiates with respect to them). */
  floats: tf.Tensor[];
  /** Token inputs by port. */
  ints: Record<string, tf.Tensor>;
  /** n's inputs that its sources feed (a NoiseSchedule's schedule): port → value key. */
  sourced: Record<string, string>;
  /** The training-step forward with `xs` in place of `floats`; n's outputs by port. */
  run(xs: tf.Tensor[], random: RandomSource): Record<string, tf.Tensor>;
  /** The same forward's values, by key. */
  runValues(xs: tf.Tensor[], random: RandomSource): Map<string, tf.Tensor>;
}

export function prepareCase(c: OracleCase): PreparedCase {
  const rng = new Rng(hashName(c.name));
  const nodes: NodeSketch[] = [...(c.sources?.nodes ?? [])];
  const edges: string[] = [...(c.sources?.edges ?? [])];
  for (const [port, spec] of Object.entries(c.inputs)) {
    nodes.push({ id: `in_${port}`, kind: 'Input', params: { shape: spec.shape.slice(1), dtype: spec.ids !== undefined ? 'int' : 'float' } });
    edges.push(`in_${port}.x->n.${port}`);
  }
  nodes.push({ id: 'n', kind: c.kind, params: c.params ?? {} });
  const analysis = analyze(makeDocument(nodes, edges));
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${c.name}: ${JSON.stringify(errors)}`);
  const ops = analysis.ops.filter((op) => op.phase === 'train');
  const outputKeys = analysis.nodes.get('n')!.outputKeys;

  // Inputs, then variables, from the case's seed.
  const inputValues = Object.fromEntries(Object.entries(c.inputs).map(([port, spec]) => [port, drawInput(spec, rng)]));
  const variables = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const op of ops) {
    for (const spec of op.variables) {
      const key = variableKey(op, spec);
      if (!variables.has(key)) variables.set(key, { shape: spec.shape, values: variableValues(spec.init, spec.shape, rng) });
    }
  }
  const weightMap = c.weights ?? [];
  const mapped = weightMap.map(([, ours]) => ours);
  const missing = mapped.filter((key) => !variables.has(key));
  const unmapped = [...variables.keys()].filter((key) => !mapped.includes(key));
  if (missing.length > 0 || unmapped.length > 0 || new Set(mapped).size !== mapped.length) {
    throw new Error(`${c.name}: weight map mismatch; not variables: [${missing.join(', ')}], not mapped: [${unmapped.join(', ')}]`);
  }

  // The differentiated tensors: float inputs, then variables.
  const floatPorts = Object.keys(c.inputs).filter((port) => c.inputs[port]!.ids === undefined);
  const varKeys = [...variables.keys()];
  const floats = [
    ...floatPorts.map((port) => tf.tensor(inputValues[port]!, c.inputs[port]!.shape, 'float32')),
    ...varKeys.map((key) => tf.tensor(variables.get(key)!.values, variables.get(key)!.shape, 'float32')),
  ];
  const ints = Object.fromEntries(
    Object.entries(c.inputs)
      .filter(([, spec]) => spec.ids !== undefined)
      .map(([port, spec]) => [port, tf.tensor(inputValues[port]!, spec.shape, 'int32')]),
  );

  const runValues = (xs: tf.Tensor[], random: RandomSource): Map<string, tf.Tensor> => {
    const feeds: Record<string, Record<string, tf.Tensor>> = {};
    floatPorts.forEach((port, i) => (feeds[`in_${port}`] = { x: xs[i]! }));
    for (const [port, x] of Object.entries(ints)) feeds[`in_${port}`] = { x };
    const vars = new Map(varKeys.map((key, i) => [key, xs[floatPorts.length + i]!]));
    return runOps(ops, analysis, { variables: vars, feeds, batchSize: BATCH, training: true, random });
  };
  const run = (xs: tf.Tensor[], random: RandomSource): Record<string, tf.Tensor> => {
    const values = runValues(xs, random);
    return Object.fromEntries(Object.entries(outputKeys).map(([port, key]) => [port, values.get(key)!]));
  };
  // n's inputs fed by the sources rather than by Input nodes: edges `source.port->n.port`.
  const sourced: Record<string, string> = {};
  for (const edge of c.sources?.edges ?? []) {
    const [from, to] = edge.split('->') as [string, string];
    const [target, port] = to.split('.') as [string, string];
    const [source, out] = from.split('.') as [string, string];
    if (target === 'n') sourced[port] = analysis.nodes.get(source)!.outputKeys[out]!;
  }
  return { analysis, ops, outputKeys, sourced, rng, inputValues, variables, floatPorts, varKeys, floats, ints, run, runValues };
}
