/**
 * Runs one op (forward and backward) on a named backend from seeded inputs and
 * compares the values across backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/base/random.ts';

export interface InputSpec {
  shape: number[];
  /** int32 inputs are drawn in [0, maxInt) and are not differentiated. */
  dtype?: 'float32' | 'int32';
  maxInt?: number;
  /** Draw floats in [0.5, 2) instead of a standard normal. */
  positive?: boolean;
}

export interface GradCase {
  name: string;
  inputs: InputSpec[];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
}

export interface CaseRun {
  y: Float32Array;
  yShape: number[];
  /** One gradient per float input, in input order. */
  grads: Float32Array[];
}

export function makeValues(spec: InputSpec, rng: Rng): Float32Array | Int32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.integer(spec.maxInt ?? 2);
    return out;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = spec.positive ? 0.5 + 1.5 * rng.uniform() : rng.normal();
  return out;
}

/** Forward and gradients (against a seeded cotangent) on `backend`. */
export async function runCase(c: GradCase, backend: string, seed = 1): Promise<CaseRun> {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  const values = c.inputs.map((s) => makeValues(s, rng));
  return tf.tidy(() => {
    const xs = c.inputs.map((s, i) => tf.tensor(values[i]!, s.shape, s.dtype ?? 'float32'));
    const floatIdx = c.inputs.map((s, i) => (s.dtype === 'int32' ? -1 : i)).filter((i) => i >= 0);
    const withFloats = (fs: tf.Tensor[]) => xs.map((x, i) => (floatIdx.includes(i) ? fs[floatIdx.indexOf(i)]! : x));
    const y = c.f(...xs);
    const dyValues = makeValues({ shape: y.shape }, new Rng(seed + 7919));
    const dy = tf.tensor(dyValues, y.shape, 'float32');
    const grads = floatIdx.length === 0 ? [] : tf.grads((...fs: tf.Tensor[]) => c.f(...withFloats(fs)))(floatIdx.map((i) => xs[i]!), dy);
    return {
      y: Float32Array.from(y.dataSync()),
      yShape: y.shape,
      grads: grads.map((g) => Float32Array.from(g.dataSync())),
    };
  });
}

/** max |a - b| / max |ref|, the error relative to the reference's scale. */
export function relError(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(a[i]! - ref[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-12);
}

export interface Comparison {
  name: string;
  /** Relative error of the forward value, then of each gradient. */
  forward: number;
  grads: number[];
  /** The largest of all. */
  worst: number;
  error?: string;
}

/** Runs the case on cpu, then on `backend`, and compares. */
export async function compareWithCpu(c: GradCase, backend: string, seed = 1): Promise<Comparison> {
  const fail = (where: string, e: unknown): Comparison => ({
    name: c.name,
    forward: NaN,
    grads: [],
    worst: Infinity,
    error: `${where}: ${e instanceof Error ? e.message : String(e)}`,
  });
  let ref: CaseRun;
  let got: CaseRun;
  try {
    ref = await runCase(c, 'cpu', seed);
  } catch (e) {
    return fail('cpu', e);
  }
  try {
    got = await runCase(c, backend, seed);
  } catch (e) {
    return fail(backend, e);
  }
  const forward = got.yShape.join() === ref.yShape.join() ? relError(got.y, ref.y) : Infinity;
  const grads = ref.grads.map((g, i) => relError(got.grads[i] ?? new Float32Array(0), g));
  return { name: c.name, forward, grads, worst: Math.max(forward, ...grads) };
}
