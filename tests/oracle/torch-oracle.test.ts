/**
 * Every layer, block and objective against an independent reference: the same
 * numbers go through our TF.js graph (float32, cpu backend) and through
 * torch_reference.py, which writes each kind from its definition in PyTorch
 * (float64). Forward values and the gradients of sum(output · R) with respect
 * to every float input and every variable must agree to
 *   |ours − torch| ≤ 1e-4 · |torch| + 1e-5
 * (1e-4 relative, with an absolute floor of 1e-5 for values near zero).
 *
 * Each case puts node `n` behind Input nodes (and, for Diffuse, a
 * NoiseSchedule), analyses it, and gives every variable seeded values: the
 * initialiser's for Glorot kernels, otherwise the initial constant plus seeded
 * jitter, so that zero-initialised kernels, biases and log-scales and unit
 * gammas are checked at a generic point. Our variables are handed to PyTorch
 * under the names of its parameters by an explicit map per case (e.g.
 * `n/fc0/kernel` is `body.0.weight`, a Dense kernel transposed into
 * F.linear's layout); every variable must be mapped and every map entry must
 * exist. Kinds that draw random numbers (Dropout, Reparameterize's noise,
 * Diffuse's steps and noise) use a random source re-created from one seed on
 * every run; the draws are read back and given to PyTorch in order.
 *
 * CausalMask is checked as PyTorch's float attention mask, which is added to
 * the scores (so masked scores still pass their gradient through; after a
 * softmax they get none). A random Permute's order is a parameter drawn from
 * its seed and is sent along; the reference checks that it is a permutation.
 * Samplers (which run after training, outside the differentiated step), Data,
 * Input and module plumbing are not cases here.
 *
 * All cases go to one Python process. Skipped, saying so, when /usr/bin/python3
 * cannot import torch (Debian's python3-torch; CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/base/random.ts';
import { ABSOLUTE, CASES, prepareCase, PYTHON, RANDOM_SEED, recordingRandom, RELATIVE, torchAvailable, type Flat, type OracleCase } from './cases.ts';

const SCRIPT = fileURLToPath(new URL('./torch_reference.py', import.meta.url));

const hasTorch = torchAvailable('torch-oracle');

// The cases (PRIMITIVES, FLOWS, BLOCKS, OBJECTIVES) are in cases.ts, shared with the export test.

// ---------------------------------------------------------------------------
// Our side
// ---------------------------------------------------------------------------

interface Ours {
  outputs: Record<string, Flat & { dtype: string }>;
  /** By input port, and by PyTorch weight name. */
  inputGrads: Record<string, number[]>;
  weightGrads: Record<string, number[]>;
  /** What the reference is sent. */
  request: Record<string, unknown>;
}

function runOurs(c: OracleCase): Ours {
  const { analysis, rng, inputValues, variables, floatPorts, varKeys, floats, ints, run } = prepareCase(c);
  const weightMap = c.weights ?? [];

  const recorder = recordingRandom(RANDOM_SEED);
  const forward = tf.tidy(() => run(floats, recorder));
  const outputs: Ours['outputs'] = {};
  for (const [port, y] of Object.entries(forward)) outputs[port] = { shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync()) };
  // An output may be an input passed through (a linear activation): those stay.
  const given = new Set<tf.Tensor>([...floats, ...Object.values(ints)]);
  tf.dispose(Object.values(forward).filter((y) => !given.has(y)));

  // R per float output; the checked function is the sum of sum(output · R).
  const R: Record<string, Flat> = {};
  for (const [port, out] of Object.entries(outputs)) {
    if (out.dtype !== 'float32') continue;
    const n = out.values.length;
    R[port] = { shape: out.shape, values: Array.from(Float32Array.from({ length: n }, () => rng.normal())) };
  }
  let grads: number[][] = [];
  if (floats.length > 0) {
    const g = tf.grads((...xs: tf.Tensor[]) => {
      const ys = run(xs, createRandom(RANDOM_SEED));
      let total: tf.Tensor = tf.scalar(0);
      for (const [port, r] of Object.entries(R)) total = tf.add(total, tf.sum(tf.mul(ys[port]!, tf.tensor(r.values, r.shape))));
      // Every input takes part, so an input a kind ignores gets a zero gradient rather than an error.
      for (const x of xs) total = tf.add(total, tf.mul(tf.sum(x), 0));
      return total;
    })(floats);
    grads = g.map((t) => Array.from(t.dataSync()));
    tf.dispose(g);
  }
  tf.dispose([...floats, ...Object.values(ints)]);

  const byVar = new Map(weightMap.map(([torch, ours]) => [ours, torch]));
  const inputGrads = Object.fromEntries(floatPorts.map((port, i) => [port, grads[i]!]));
  const weightGrads = Object.fromEntries(varKeys.map((key, i) => [byVar.get(key)!, grads[floatPorts.length + i]!]));
  const request = {
    name: c.name,
    kind: c.kind,
    params: analysis.nodes.get('n')!.params,
    inputs: Object.fromEntries(
      Object.entries(c.inputs).map(([port, spec]) => [port, { dtype: spec.ids !== undefined ? 'int32' : 'float32', shape: spec.shape, values: Array.from(inputValues[port]!) }]),
    ),
    weights: Object.fromEntries(
      weightMap.map(([torch, ours, layout]) => [torch, { layout, shape: variables.get(ours)!.shape, values: Array.from(variables.get(ours)!.values) }]),
    ),
    R,
    random: recorder.draws,
    extra: c.extra?.(analysis) ?? {},
  };
  return { outputs, inputGrads, weightGrads, request };
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

interface Reference {
  outputs?: Record<string, Flat>;
  grads?: { inputs: Record<string, number[]>; weights: Record<string, number[]> };
  error?: string;
}

/** Problems with `actual` against `expected`, at most a few per tensor. */
function differences(what: string, actual: readonly number[] | undefined, expected: readonly number[] | undefined): string[] {
  if (!actual || !expected) return [`${what}: missing on ${actual ? 'the reference' : 'our'} side`];
  if (actual.length !== expected.length) return [`${what}: ${actual.length} values, reference ${expected.length}`];
  const bad: string[] = [];
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= RELATIVE * Math.abs(e) + ABSOLUTE)) bad.push(`${what}[${i}]: ours ${a}, torch ${e}`);
  });
  return bad.length > 4 ? [...bad.slice(0, 4), `${what}: … ${bad.length} differ in all`] : bad;
}

function compare(ours: Ours, ref: Reference): string[] {
  if (ref.error) return [`reference failed:\n${ref.error}`];
  const problems: string[] = [];
  for (const [port, out] of Object.entries(ours.outputs)) {
    const r = ref.outputs?.[port];
    if (r && JSON.stringify(r.shape) !== JSON.stringify(out.shape)) problems.push(`output ${port}: shape [${out.shape}], reference [${r.shape}]`);
    else problems.push(...differences(`output ${port}`, out.values, r?.values));
  }
  for (const [port, g] of Object.entries(ours.inputGrads)) problems.push(...differences(`d/d input ${port}`, g, ref.grads?.inputs[port]));
  for (const [name, g] of Object.entries(ours.weightGrads)) problems.push(...differences(`d/d weight ${name}`, g, ref.grads?.weights[name]));
  return problems;
}

const TITLE = hasTorch
  ? 'PyTorch oracle: forward values and gradients of every kind'
  : `PyTorch oracle (skipped: ${PYTHON} cannot import torch; install python3-torch)`;

describe.skipIf(!hasTorch)(TITLE, () => {
  const ours = new Map<string, Ours>();
  const references = new Map<string, Reference>();

  beforeAll(() => {
    for (const c of CASES) ours.set(c.name, runOurs(c));
    const requests = CASES.map((c) => ours.get(c.name)!.request);
    const python = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (python.status !== 0) throw new Error(`torch_reference.py failed (${python.status}):\n${python.stderr}`);
    const results = JSON.parse(python.stdout) as Reference[];
    CASES.forEach((c, i) => references.set(c.name, results[i]!));
  }, 60_000);

  it('names each case once', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c.kind] as const))('%s', (name) => {
    expect(compare(ours.get(name)!, references.get(name)!)).toEqual([]);
  });
});
