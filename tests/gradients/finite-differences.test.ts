/**
 * Gradient check of every node kind with something to differentiate:
 * analytic gradients (tf.variableGrads, the path training takes) against
 * central finite differences in float32, for every float input and every
 * variable of a small configuration of the kind.
 *
 * For each case the node is put in a document behind Input nodes, analysed,
 * given variables (from their initialisers, plus seeded jitter so that
 * zero-initialised kernels, biases and log-scales are checked at a generic
 * point rather than at 0) and seeded float inputs. The checked function is
 *   f = Σ over outputs of sum(output · R), R fixed random per output
 * (tokens outputs left out, loss and logdet outputs counted), run with
 * runOps and a random source re-created from the same seed on every call, so
 * that Noise, Dropout and Diffuse inside a kind are deterministic functions.
 * Training mode is on, so Dropout and BatchNorm take their training path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/core/train/gradients.ts';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { nodeKinds } from '../../src/core/nodes/registry.ts';
import { analyze, type Analysis } from '../../src/core/shapes/analyze.ts';
import { hasErrors } from '../../src/core/base/diagnostics.ts';
import { concrete } from '../../src/core/base/shape.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { makeDocument, type NodeSketch } from '../helpers.ts';

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

/**
 * How a float input's values are drawn:
 * - normal: standard normal;
 * - awayFromZero: standard normal pushed at least 0.1 away from 0 (relu and leakyRelu have a kink there);
 * - distinct: a shuffled grid 0.1 apart, so no two values of a max-pool window are within a step of each other;
 * - [lo, hi]: uniform in the range.
 */
type Draw = 'normal' | 'awayFromZero' | 'distinct' | readonly [number, number];

type InputSpec =
  /** A float input, differentiated. `shape` includes the batch of 2. */
  | { shape: number[]; draw?: Draw }
  /** Integer tokens, fixed and not differentiated. */
  | { shape: number[]; tokens: number[] }
  /** Fed by a node of another kind (not an Input), e.g. a NoiseSchedule. */
  | { source: { kind: string; params: Record<string, unknown>; port: string } };

interface GradCase {
  kind: string;
  /** Tells cases of one kind apart. */
  label?: string;
  params?: Record<string, unknown>;
  inputs: Record<string, InputSpec>;
  /** Weight 0 on output entries of magnitude ≥ 1e8 (CausalMask's −1e9): in float32 a step of 1e-2 vanishes in them. */
  skipHuge?: boolean;
}

const BATCH = 2;
const float = (...shape: number[]): InputSpec => ({ shape });
const drawn = (draw: Draw, ...shape: number[]): InputSpec => ({ shape, draw });
const tokens = (shape: number[], values: number[]): InputSpec => ({ shape, tokens: values });
const schedule: InputSpec = { source: { kind: 'NoiseSchedule', params: { steps: 10 }, port: 'schedule' } };

const CASES: GradCase[] = [
  // Layers
  { kind: 'Dense', params: { units: 3 }, inputs: { x: float(2, 4) } },
  { kind: 'Dense', label: 'gelu, unfused', params: { units: 3, activation: 'gelu' }, inputs: { x: float(2, 4) } },
  { kind: 'Dense', label: 'rank 3, fused sigmoid, no bias', params: { units: 2, activation: 'sigmoid', useBias: false }, inputs: { x: float(2, 3, 4) } },
  // relu and leakyRelu: inputs at least 0.1 from their kink at 0.
  { kind: 'Activation', label: 'relu', params: { fn: 'relu' }, inputs: { x: drawn('awayFromZero', 2, 5) } },
  { kind: 'Activation', label: 'leakyRelu', params: { fn: 'leakyRelu' }, inputs: { x: drawn('awayFromZero', 2, 5) } },
  ...(['linear', 'gelu', 'silu', 'tanh', 'sigmoid', 'softplus', 'exp'] as const).map(
    (fn): GradCase => ({ kind: 'Activation', label: fn, params: { fn }, inputs: { x: float(2, 5) } }),
  ),
  { kind: 'Add', inputs: { a: float(2, 3), b: float(2, 3) } },
  { kind: 'Add', label: 'broadcast', inputs: { a: float(2, 2, 3), b: float(2, 1, 3) } },
  { kind: 'Multiply', inputs: { a: float(2, 3), b: float(2, 3) } },
  { kind: 'Multiply', label: 'broadcast', inputs: { a: float(2, 2, 3), b: float(2, 2, 1) } },
  { kind: 'ScaleShift', params: { scale: -0.5, shift: 1 }, inputs: { x: float(2, 3) } },
  { kind: 'ScaleShift', label: 'identity', inputs: { x: float(2, 3) } },
  { kind: 'Logit', params: { alpha: 0.05 }, inputs: { x: { shape: [2, 2, 2, 1], draw: [0.05, 0.95] }, logdet: float(2) } },
  { kind: 'ScaleShift', label: 'with logdet', params: { scale: 2, shift: -1 }, inputs: { x: float(2, 2, 2, 1), logdet: float(2) } },
  { kind: 'Reshape', params: { shape: [3, 2] }, inputs: { x: float(2, 6) } },
  { kind: 'Conv2D', params: { filters: 3, kernelSize: 3 }, inputs: { x: float(2, 4, 4, 2) } },
  { kind: 'Conv2D', label: "stride 2, 'valid', fused sigmoid", params: { filters: 2, kernelSize: 2, strides: 2, padding: 'valid', activation: 'sigmoid' }, inputs: { x: float(2, 4, 4, 2) } },
  { kind: 'Conv2D', label: 'tanh, no bias', params: { filters: 2, kernelSize: 3, activation: 'tanh', useBias: false }, inputs: { x: float(2, 4, 4, 1) } },
  { kind: 'Conv2DTranspose', params: { filters: 3, kernelSize: 4, strides: 2 }, inputs: { x: float(2, 2, 2, 2) } },
  { kind: 'Conv2DTranspose', label: "stride 1, 'valid', tanh", params: { filters: 2, kernelSize: 3, strides: 1, padding: 'valid', activation: 'tanh' }, inputs: { x: float(2, 2, 2, 2) } },
  // The hidden kernel entries get a zero gradient, rightly: the mask multiplies them before the convolution.
  { kind: 'MaskedConv2D', params: { filters: 3, kernelSize: 3, mask: 'A' }, inputs: { x: float(2, 4, 4, 2) } },
  { kind: 'MaskedConv2D', label: 'mask B 5×5, tanh, no bias', params: { filters: 2, kernelSize: 5, mask: 'B', activation: 'tanh', useBias: false }, inputs: { x: float(2, 4, 3, 2) } },
  { kind: 'Flatten', inputs: { x: float(2, 2, 2, 2) } },
  // Max-pool: values 0.1 apart, so the maximum of a window never changes within a step.
  { kind: 'MaxPool2D', params: { poolSize: 2 }, inputs: { x: drawn('distinct', 2, 4, 4, 2) } },
  { kind: 'MaxPool2D', label: "overlapping, 'same'", params: { poolSize: 3, strides: 1, padding: 'same' }, inputs: { x: drawn('distinct', 2, 4, 4, 1) } },
  { kind: 'AvgPool2D', params: { poolSize: 2 }, inputs: { x: float(2, 4, 4, 2) } },
  { kind: 'AvgPool2D', label: "overlapping, 'same'", params: { poolSize: 3, strides: 1, padding: 'same' }, inputs: { x: float(2, 4, 4, 1) } },
  { kind: 'Upsample2D', params: { factor: 2 }, inputs: { x: float(2, 2, 2, 2) } },
  { kind: 'BatchNorm', inputs: { x: float(2, 2, 2, 3) } },
  { kind: 'BatchNorm', label: 'features', inputs: { x: float(2, 3) } },
  { kind: 'GroupNorm', params: { groups: 2 }, inputs: { x: float(2, 2, 2, 4) } },
  { kind: 'GroupNorm', label: 'features, 4 per group', params: { groups: 2 }, inputs: { x: float(2, 8) } },
  { kind: 'GroupNorm', label: 'sequence', params: { groups: 2, epsilon: 1e-3 }, inputs: { x: float(2, 3, 4) } },
  { kind: 'Dropout', params: { rate: 0.3 }, inputs: { x: float(2, 6) } },
  { kind: 'Embedding', params: { vocabSize: 5, dim: 4 }, inputs: { tokens: tokens([2, 3], [0, 1, 4, 4, 2, 0]) } },
  { kind: 'LSTM', params: { units: 3 }, inputs: { x: float(2, 4, 2), h0: float(2, 3), c0: float(2, 3) } },
  { kind: 'LSTM', label: 'last state only, from zeros', params: { units: 2, returnSequences: false }, inputs: { x: float(2, 3, 3) } },
  { kind: 'GRU', params: { units: 3 }, inputs: { x: float(2, 4, 2), h0: float(2, 3) } },
  { kind: 'GRU', label: 'last state only, from zeros', params: { units: 2, returnSequences: false }, inputs: { x: float(2, 3, 3) } },
  { kind: 'PositionalEncoding', params: { maxLength: 5 }, inputs: { x: float(2, 3, 4) } },
  { kind: 'PositionalEncoding', label: 'sinusoidal', params: { mode: 'sinusoidal' }, inputs: { x: float(2, 3, 4) } },
  { kind: 'LayerNorm', inputs: { x: float(2, 3, 4) } },
  { kind: 'Softmax', inputs: { x: float(2, 3, 4) } },
  { kind: 'Softmax', label: 'axis 1', params: { axis: 1 }, inputs: { x: float(2, 3, 4) } },
  { kind: 'Transpose', inputs: { x: float(2, 3, 4) } },
  { kind: 'Transpose', label: 'rank 4', params: { perm: [0, 3, 1, 2] }, inputs: { x: float(2, 2, 3, 2) } },
  { kind: 'MatMul', inputs: { a: float(2, 3, 4), b: float(2, 4, 2) } },
  { kind: 'MatMul', label: 'a·bᵀ scaled, rank 4', params: { transposeB: true, scale: 0.5 }, inputs: { a: float(2, 2, 3, 2), b: float(2, 2, 3, 2) } },
  { kind: 'CausalMask', inputs: { scores: float(2, 3, 3) }, skipHuge: true },
  { kind: 'SplitHeads', params: { heads: 2 }, inputs: { x: float(2, 3, 4) } },
  { kind: 'MergeHeads', inputs: { x: float(2, 2, 3, 2) } },
  // Flows and diffusion
  { kind: 'Split', inputs: { x: float(2, 5) } },
  { kind: 'Split', label: 'axis 1', params: { axis: 1, at: 1 }, inputs: { x: float(2, 3, 2) } },
  { kind: 'Concat', inputs: { a: float(2, 2), b: float(2, 3) } },
  { kind: 'Concat', label: 'axis 1', params: { axis: 1 }, inputs: { a: float(2, 1, 2), b: float(2, 2, 2) } },
  { kind: 'AffineCoupling', inputs: { x: float(2, 4), s: float(2, 4), t: float(2, 4), logdet: float(2) } },
  { kind: 'AffineCoupling', label: 'clamped', params: { clamp: 1.5 }, inputs: { x: float(2, 4), s: float(2, 4), t: float(2, 4) } },
  { kind: 'Permute', params: { mode: 'random', seed: 3 }, inputs: { x: float(2, 4), logdet: float(2) } },
  { kind: 'Permute', label: 'reverse, image', inputs: { x: float(2, 2, 2, 3) } },
  { kind: 'ActNorm', inputs: { x: float(2, 2, 2, 3), logdet: float(2) } },
  { kind: 'ActNorm', label: 'features', inputs: { x: float(2, 3) } },
  { kind: 'InvertibleConv1x1', params: { seed: 2 }, inputs: { x: float(2, 2, 2, 3), logdet: float(2) } },
  { kind: 'InvertibleConv1x1', label: 'features', inputs: { x: float(2, 4) } },
  { kind: 'Diffuse', inputs: { x0: float(2, 3), schedule } },
  // Blocks (smooth activations: the kinks of relu are checked above, where inputs can be kept from them)
  { kind: 'Reparameterize', inputs: { mu: float(2, 3), logvar: float(2, 3) } },
  { kind: 'Encoder', params: { hidden: [4], latent: 2, activation: 'tanh' }, inputs: { x: float(2, 2, 3) } },
  { kind: 'Encoder', label: 'conv', params: { architecture: 'conv', hidden: [2], latent: 2, activation: 'silu' }, inputs: { x: float(2, 4, 4, 1) } },
  { kind: 'Decoder', params: { hidden: [4], outputShape: [2, 3], activation: 'tanh', outputActivation: 'sigmoid' }, inputs: { z: float(2, 2) } },
  { kind: 'Decoder', label: 'conv', params: { architecture: 'conv', hidden: [3], outputShape: [4, 4, 1], activation: 'silu' }, inputs: { z: float(2, 2) } },
  // Starting at 2×2 so that the first BatchNorm pools 8 values per channel: over just the batch of 2 it is
  // ±d / sqrt(d² + ε), too curved for a step of 1e-2.
  { kind: 'Generator', params: { hidden: [3, 2], outputShape: [8, 8, 1], activation: 'silu' }, inputs: { z: float(2, 3) } },
  { kind: 'Discriminator', params: { hidden: [2, 3], activation: 'silu', dropout: 0.3 }, inputs: { x: float(2, 8, 8, 1) } },
  { kind: 'Discriminator', label: 'mlp', params: { architecture: 'mlp', hidden: [4], activation: 'tanh', dropout: 0.3 }, inputs: { x: float(2, 3) } },
  { kind: 'TimeEmbedding', params: { dim: 4, hidden: 6 }, inputs: { t: tokens([2], [3, 41]) } },
  { kind: 'UNetBlock', params: { filters: 3 }, inputs: { x: float(2, 4, 4, 2), temb: float(2, 3) } },
  { kind: 'UNetBlock', label: 'identity skip, no time', params: { filters: 2, activation: 'tanh' }, inputs: { x: float(2, 4, 4, 2) } },
  { kind: 'UNetBlock', label: 'GroupNorm', params: { filters: 4, norm: 'group', groups: 2 }, inputs: { x: float(2, 4, 4, 2), temb: float(2, 3) } },
  // (The key projection's bias gets a zero gradient, rightly: it adds the same q·b to every score of a query.)
  { kind: 'AttentionBlock', params: { heads: 2, causal: true }, inputs: { x: float(2, 3, 4) } },
  { kind: 'AttentionBlock', label: 'cross', params: { heads: 2 }, inputs: { x: float(2, 3, 4), context: float(2, 2, 3) } },
  { kind: 'TransformerBlock', params: { heads: 2, mlpRatio: 1 }, inputs: { x: float(2, 3, 4) } },
  { kind: 'TransformerBlock', label: 'cross', params: { heads: 1, mlpRatio: 0.5, causal: false }, inputs: { x: float(2, 3, 2), context: float(2, 2, 3) } },
  { kind: 'CouplingLayer', params: { hidden: 4, layers: 1, activation: 'tanh' }, inputs: { x: float(2, 4), logdet: float(2) } },
  { kind: 'CouplingLayer', label: 'flip, reverse, unclamped', params: { hidden: 3, layers: 0, flip: true, permute: 'reverse', clamp: 0 }, inputs: { x: float(2, 5) } },
  // Objectives
  { kind: 'ReconstructionLoss', inputs: { prediction: float(2, 3), target: drawn([0, 1], 2, 3) } },
  { kind: 'ReconstructionLoss', label: 'mse, mean', params: { loss: 'mse', reduction: 'mean', weight: 2 }, inputs: { prediction: float(2, 3), target: float(2, 3) } },
  // Probabilities kept inside (0.2, 0.8), away from the clip at 1e-7 and 1 − 1e-7.
  { kind: 'ReconstructionLoss', label: 'bce on probabilities', params: { fromLogits: false }, inputs: { prediction: drawn([0.2, 0.8], 2, 3), target: drawn([0, 1], 2, 3) } },
  { kind: 'NextTokenCrossEntropy', inputs: { logits: float(2, 3, 5), targets: tokens([2, 3], [1, 0, 3, 4, 2, 0]) } },
  { kind: 'NextTokenCrossEntropy', label: 'every position', params: { ignoreIndex: -1, weight: 0.5 }, inputs: { logits: float(2, 3, 5), targets: tokens([2, 3], [1, 0, 3, 4, 2, 0]) } },
  { kind: 'ClassificationLoss', inputs: { logits: float(2, 4), labels: tokens([2], [1, 3]) } },
  { kind: 'KLDivergence', inputs: { mu: float(2, 3), logvar: float(2, 3) } },
  { kind: 'AdversarialLoss', inputs: { real: float(2, 1), fake: float(2, 1) } },
  { kind: 'AdversarialLoss', label: 'generator', params: { side: 'generator' }, inputs: { fake: float(2, 1) } },
  { kind: 'AdversarialLoss', label: 'least-squares', params: { loss: 'least-squares' }, inputs: { real: float(2, 1), fake: float(2, 1) } },
  { kind: 'AdversarialLoss', label: 'least-squares generator', params: { loss: 'least-squares', side: 'generator' }, inputs: { fake: float(2, 1) } },
  // Outputs within (−0.8, 0.8), away from the hinges' kinks at ±1.
  { kind: 'AdversarialLoss', label: 'hinge', params: { loss: 'hinge' }, inputs: { real: drawn([-0.8, 0.8], 2, 1), fake: drawn([-0.8, 0.8], 2, 1) } },
  { kind: 'AdversarialLoss', label: 'hinge generator', params: { loss: 'hinge', side: 'generator' }, inputs: { fake: float(2, 1) } },
  { kind: 'AdversarialLoss', label: 'wasserstein', params: { loss: 'wasserstein', weight: 0.5 }, inputs: { real: float(2, 1), fake: float(2, 1) } },
  { kind: 'AdversarialLoss', label: 'wasserstein generator', params: { loss: 'wasserstein', side: 'generator' }, inputs: { fake: float(2, 1) } },
  // The gradient penalty's second-order gradient is checked in tests/nodes/gradient-penalty.test.ts (it needs a critic between its inputs).
  { kind: 'Interpolate', inputs: { a: float(2, 3), b: float(2, 3) } },
  { kind: 'FlowNLL', inputs: { z: float(2, 4), logdet: float(2) } },
  { kind: 'FlowNLL', label: 'per dimension, image', params: { perDimension: true }, inputs: { z: float(2, 2, 2, 1), logdet: float(2) } },
  { kind: 'DiffusionLoss', inputs: { prediction: float(2, 3), noise: float(2, 3) } },
];

/** Kinds with nothing to differentiate, and why. */
const SKIPPED: Record<string, string> = {
  Data: 'no inputs or variables: it passes on the batches fed to it',
  Input: 'no inputs or variables: it passes on the tensor fed to it',
  Noise: 'no inputs or variables: fresh random draws',
  NoiseSchedule: 'no inputs or variables: a constant table computed from its params',
  Constant: 'no variables, and its value does not depend on the values of its input (only on its shape)',
  StopGradient: 'its gradient is zero by design, not the derivative of its forward (tests/nodes/stop-gradient.test.ts checks it)',
  StraightThrough: "its gradient is the identity's by design, not the derivative of its forward (tests/nodes/straight-through.test.ts checks it)",
  VectorQuantizer:
    "a nearest-code look-up: y and the ids are piecewise constant in z, and y's gradient is the straight-through identity by design, not the derivative of its forward; tests/nodes/vector-quantizer.test.ts checks it and the loss's gradients by hand, and the PyTorch oracle against detach()",
  Dequantize: 'no variables, and a step function of its input (it rounds to the nearest level): its gradient is zero almost everywhere',
  ConditionDropout: 'class labels in and out (int32 ids), no variables: nothing to differentiate',
  SinusoidalEmbedding: 'integer timesteps in, no variables: a fixed function of integers (its Dense layers are checked in TimeEmbedding)',
  AutoregressiveSampler: 'a sampler: no forward or expansion; the sampling runtime runs the graph after training, without gradients',
  PriorSampler: 'a sampler: no forward or expansion; the sampling runtime runs the graph after training, without gradients',
  FlowInverseSampler: 'a sampler: no forward or expansion; the sampling runtime runs the graph after training, without gradients',
  DDPMSampler: 'a sampler: no forward or expansion; the sampling runtime runs the graph after training, without gradients',
  DDIMSampler: 'a sampler: no forward or expansion; the sampling runtime runs the graph after training, without gradients',
  PixelSampler: 'a sampler: no forward or expansion; the sampling runtime runs the graph after training, without gradients',
  Module: "no forward or expansion of its own: the analyser inlines the module's nodes, whose kinds are checked here",
  ModuleInput: "no forward: a port of a module, wired through by the analyser",
  ModuleOutput: "no forward: a port of a module, wired through by the analyser",
};

// ---------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------

const SEED = 20240;
/** Finite-difference step: float32 needs a large one. */
const STEP = 1e-2;
/** Coordinates checked per tensor, the first always among them. */
const COORDINATES = 6;
/** Seeded jitter added to every variable's initial value. */
const JITTER = 0.2;
const tolerance = (ad: number) => 1e-2 * Math.max(1, Math.abs(ad)) + 1e-3;

function drawValues(draw: Draw, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  if (draw === 'distinct') {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.integer(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((k, i) => (out[i] = 0.1 * (k - n / 2)));
    return out;
  }
  for (let i = 0; i < n; i++) {
    if (draw === 'normal') out[i] = rng.normal();
    else if (draw === 'awayFromZero') {
      const v = rng.normal();
      out[i] = Math.sign(v || 1) * (Math.abs(v) + 0.1);
    } else out[i] = draw[0] + (draw[1] - draw[0]) * rng.uniform();
  }
  return out;
}

/** Up to COORDINATES distinct flat indices, 0 first, then seeded picks. */
function coordinates(n: number, rng: Rng): number[] {
  const picked = [0];
  while (picked.length < Math.min(COORDINATES, n)) {
    const i = rng.integer(n);
    if (!picked.includes(i)) picked.push(i);
  }
  return picked;
}

const caseName = (c: GradCase) => (c.label ? `${c.kind} (${c.label})` : c.kind);
let nextName = 0;

interface Prepared {
  analysis: Analysis;
  /** Every differentiated tensor, by label: float inputs (`in:port`) and variables (their key). */
  checked: Map<string, tf.Variable>;
  objective: () => tf.Scalar;
  dispose: () => void;
}

function prepare(c: GradCase, seed: number): Prepared {
  const nodes: NodeSketch[] = [];
  const edges: string[] = [];
  for (const [port, spec] of Object.entries(c.inputs)) {
    if ('source' in spec) {
      nodes.push({ id: `src_${port}`, kind: spec.source.kind, params: spec.source.params });
      edges.push(`src_${port}.${spec.source.port}->n.${port}`);
    } else {
      nodes.push({ id: `in_${port}`, kind: 'Input', params: { shape: spec.shape.slice(1), dtype: 'tokens' in spec ? 'int' : 'float' } });
      edges.push(`in_${port}.x->n.${port}`);
    }
  }
  nodes.push({ id: 'n', kind: c.kind, params: c.params ?? {} });
  const analysis = analyze(makeDocument(nodes, edges));
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors)).toEqual([]);
  expect(hasErrors(analysis.diagnostics)).toBe(false);

  const rng = new Rng(seed);
  const variables = createVariables(analysis, seed);
  for (const v of variables.values()) {
    const jitter = Float32Array.from({ length: v.size }, () => JITTER * rng.normal());
    tf.tidy(() => v.assign(tf.add(v, tf.tensor(jitter, v.shape))));
  }
  const checked = new Map<string, tf.Variable>();
  const feeds: Record<string, Record<string, tf.Tensor>> = {};
  const owned: tf.Tensor[] = [];
  for (const [port, spec] of Object.entries(c.inputs)) {
    if ('source' in spec) continue;
    expect(spec.shape[0], `${port}: batch`).toBe(BATCH);
    let t: tf.Tensor;
    if ('tokens' in spec) {
      t = tf.tensor(spec.tokens, spec.shape, 'int32');
      owned.push(t);
    } else {
      const values = drawValues(spec.draw ?? 'normal', spec.shape.reduce((a, b) => a * b, 1), rng);
      const initial = tf.tensor(values, spec.shape);
      t = tf.variable(initial, true, `gradcheck_in_${port}_${nextName++}`);
      initial.dispose();
      checked.set(`in:${port}`, t as tf.Variable);
    }
    feeds[`in_${port}`] = { x: t };
  }
  for (const [key, v] of variables) checked.set(key, v);

  const info = analysis.nodes.get('n')!;
  const ops = analysis.ops.filter((op) => op.phase === 'train');
  const run = () => runOps(ops, analysis, { variables, feeds, batchSize: BATCH, training: true, random: createRandom(seed + 1) });

  // Fixed random weights per output; tokens outputs are left out.
  const weights = new Map<string, tf.Tensor>();
  const baseline = new Map<string, Float32Array>();
  tf.tidy(() => {
    const values = run();
    for (const [port, key] of Object.entries(info.outputKeys)) baseline.set(port, values.get(key)!.dataSync() as Float32Array);
  });
  for (const [port, key] of Object.entries(info.outputKeys)) {
    const value = analysis.values.get(key)!;
    if (value.type === 'tokens') continue;
    const shape = concrete(value.shape, BATCH);
    const base = baseline.get(port)!;
    const r = Float32Array.from({ length: base.length }, (_, i) => (c.skipHuge && Math.abs(base[i]!) >= 1e8 ? 0 : rng.normal()));
    weights.set(key, tf.tensor(r, shape));
  }
  expect(weights.size, 'outputs to weigh').toBeGreaterThan(0);

  const objective = () =>
    tf.tidy(() => {
      const values = run();
      const terms = [...weights].map(([key, r]) => tf.sum(tf.mul(values.get(key)!, r)));
      return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Scalar;
    });
  return {
    analysis,
    checked,
    objective,
    dispose: () => {
      for (const t of [...checked.values(), ...owned, ...weights.values()]) t.dispose();
    },
  };
}

/** f at the current values, as a number. */
function evaluate(objective: () => tf.Scalar): number {
  const y = objective();
  const v = y.dataSync()[0]!;
  y.dispose();
  return v;
}

function setValues(v: tf.Variable, values: Float32Array): void {
  tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
}

/** Mismatches between analytic and central finite-difference gradients, as readable lines. */
function checkGradients(c: GradCase, seed: number): { mismatches: string[]; checkedCount: number } {
  const prepared = prepare(c, seed);
  const { checked, objective } = prepared;
  const tensors = [...checked.values()];
  const { value, grads } = tf.variableGrads(objective, tensors);
  value.dispose();
  const rng = new Rng(seed + 2);
  const mismatches: string[] = [];
  let checkedCount = 0;
  for (const [label, v] of checked) {
    const g = grads[v.name];
    const analytic = g ? g.dataSync() : new Float32Array(v.size);
    const base = v.dataSync().slice() as Float32Array;
    for (const i of coordinates(v.size, rng)) {
      const plus = base.slice();
      const minus = base.slice();
      plus[i] = base[i]! + STEP;
      minus[i] = base[i]! - STEP;
      setValues(v, plus);
      const fPlus = evaluate(objective);
      setValues(v, minus);
      const fMinus = evaluate(objective);
      setValues(v, base);
      // Divide by the float32 step actually taken.
      const fd = (fPlus - fMinus) / (plus[i]! - minus[i]!);
      const ad = analytic[i]!;
      checkedCount++;
      if (!Number.isFinite(ad) || !(Math.abs(fd - ad) <= tolerance(ad))) {
        mismatches.push(`${label}[${i}]: analytic ${ad.toPrecision(6)}, finite differences ${fd.toPrecision(6)}`);
      }
    }
  }
  for (const g of Object.values(grads)) g.dispose();
  prepared.dispose();
  return { mismatches, checkedCount };
}

describe('gradients against central finite differences', () => {
  it('covers every registered kind but the skipped ones', () => {
    const kinds = nodeKinds();
    const tested = new Set(CASES.map((c) => c.kind));
    for (const kind of tested) expect(kinds, `${kind} in the table is registered`).toContain(kind);
    for (const kind of Object.keys(SKIPPED)) {
      expect(kinds, `skipped ${kind} is registered`).toContain(kind);
      expect(tested.has(kind), `${kind} is both checked and skipped`).toBe(false);
    }
    const missing = kinds.filter((k) => !tested.has(k) && !(k in SKIPPED));
    expect(missing, 'kinds without a gradient check (add a case to CASES, or a reason to SKIPPED)').toEqual([]);
  });

  CASES.forEach((c, index) => {
    it(caseName(c), () => {
      const before = tf.memory().numTensors;
      const { mismatches, checkedCount } = checkGradients(c, SEED + 31 * index);
      expect(mismatches, `${caseName(c)}: ${mismatches.join('\n')}`).toEqual([]);
      expect(checkedCount).toBeGreaterThan(0);
      expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
    });
  });
});
