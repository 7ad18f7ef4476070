/**
 * Milliseconds and kernels per training step of a 784-256-784 MLP (ReLU,
 * sigmoid, MSE, SGD through tf.variableGrads), batch 64, on each Node
 * backend in one run: wasm, cpu, and webgpu (whatever adapter is there).
 * Run: npm run bench:backends [-- STEPS]
 */
// The union package's Node bundle registers the gradients; the gradient
// module of tfjs-core alone does not load in plain Node ESM.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { performance } from 'node:perf_hooks';
import { BackendUnavailableError, initNodeBackend, type NodeBackendName } from '../src/core/train/backends/node.ts';
import { Rng } from '../src/core/base/random.ts';

const BATCH = 64;
const IN = 784;
const HIDDEN = 256;
const WARMUP = 3;

function values(rng: Rng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

interface Bench {
  label: string;
  step(): Promise<number>;
  times: number[];
  kernels: number;
  loss: number;
}

/** Starts a backend and builds the model on it; undefined (with a note) if the backend cannot run here. */
async function prepare(name: NodeBackendName): Promise<Bench | undefined> {
  let label: string = name;
  try {
    const info = await initNodeBackend(name);
    if (info.adapter) label += ` (${info.api}: ${info.adapter})`;
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    console.log(`${name}: ${error.message}`);
    return undefined;
  }
  const rng = new Rng(1);
  const w1 = tf.variable(tf.tensor2d(values(rng, IN * HIDDEN, 0.05), [IN, HIDDEN]));
  const b1 = tf.variable(tf.zeros([HIDDEN]));
  const w2 = tf.variable(tf.tensor2d(values(rng, HIDDEN * IN, 0.05), [HIDDEN, IN]));
  const b2 = tf.variable(tf.zeros([IN]));
  const x = tf.tensor2d(values(rng, BATCH * IN, 0.5).map((v) => v + 0.5), [BATCH, IN]);
  const vars = [w1, b1, w2, b2];
  const step = async (): Promise<number> => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const y = tf.sigmoid(tf.add(tf.matMul(h, w2), b2));
        return tf.mean(tf.square(tf.sub(y, x)));
      }, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.5)));
      return value;
    });
    const [out] = await loss.data();
    loss.dispose();
    return out!;
  };
  for (let i = 0; i < WARMUP; i++) await step();
  const profile = await tf.profile(step);
  return { label, step, times: [], kernels: profile.kernels.length, loss: 0 };
}

const steps = Number(process.argv[2] ?? 30);
const ROUNDS = 3;
const names = ['wasm', 'cpu', 'webgpu'] as const;
const benches = new Map<NodeBackendName, Bench>();
for (const name of names) {
  const bench = await prepare(name);
  if (bench) benches.set(name, bench);
}
// Rounds interleave the backends so that a busy machine slows them alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, bench] of benches) {
    await initNodeBackend(name);
    const start = performance.now();
    for (let i = 0; i < Math.ceil(steps / ROUNDS); i++) bench.loss = await bench.step();
    bench.times.push((performance.now() - start) / Math.ceil(steps / ROUNDS));
  }
}
for (const bench of benches.values()) {
  const sorted = [...bench.times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`${bench.label}: ${median.toFixed(1)} ms/step (median of ${ROUNDS} rounds), ${bench.kernels} kernels/step, loss ${bench.loss.toFixed(5)}`);
}
