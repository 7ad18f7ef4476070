import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { zOptimizer } from '../../src/core/graph/schema.ts';
import { createOptimizer, optimizerStepKernel, optimizerStepOps } from '../../src/core/train/optimizers.ts';
import { runFused } from '../../src/core/nodes/fused.ts';
import { Rng } from '../../src/core/base/random.ts';

const SHAPES: number[][] = [[], [3], [4, 5], [2, 3, 4], [7]];
const KEYS = SHAPES.map((_, i) => `w${i}`);

function randomTensor(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => (rng.uniform() * 2 - 1) * scale), shape);
}

function weights(seed: number): Map<string, tf.Variable> {
  const rng = new Rng(seed);
  return new Map(KEYS.map((key, i) => [key, tf.variable(randomTensor(rng, SHAPES[i]!), true, `${key}-${seed}-${Math.random()}`)]));
}

async function values(tensors: Iterable<[string, tf.Tensor]>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [key, t] of tensors) out[key] = Array.from(await t.data());
  return out;
}

function expectNear(actual: Record<string, number[]>, expected: Record<string, number[]>, what: string) {
  expect(Object.keys(actual).sort(), what).toEqual(Object.keys(expected).sort());
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key]!;
    want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${what} ${key}[${i}]: ${got[i]} vs ${w}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(w))));
  }
}

const SETTINGS: Record<string, unknown>[] = [
  { type: 'adam', learningRate: 0.01 },
  { type: 'adam', learningRate: 0.01, clipNorm: 0.5, ema: 0.9 },
  { type: 'adam', learningRate: 0.02, weightDecay: 0.1, beta1: 0.5, beta2: 0.9 },
  { type: 'adamw', learningRate: 0.01, weightDecay: 0.05, clipNorm: 1, schedule: { warmupSteps: 3 } },
  { type: 'sgd', learningRate: 0.1 },
  { type: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, ema: 0.5 },
  { type: 'sgd', learningRate: 0.05, clipNorm: 0.3 },
];

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('the multi-tensor optimizer on %s', (backend) => {
  beforeAll(async () => {
    await initNodeBackend(backend);
  });

  for (const raw of SETTINGS) {
    it(`packed, updates weights, slots and averages as the per-weight form does: ${JSON.stringify(raw)}`, async () => {
      const settings = zOptimizer.parse(raw);
      const packedWeights = weights(1);
      const referenceWeights = weights(1);
      const packed = createOptimizer(settings, packedWeights, KEYS, { packed: true });
      const reference = createOptimizer(settings, referenceWeights, KEYS, { packed: false });
      const rng = new Rng(2);
      for (let step = 0; step < 6; step++) {
        // Steps 2 and 4 leave out some weights' gradients: those weights and their slots must not move.
        const missing = step === 2 ? ['w1', 'w3'] : step === 4 ? ['w0'] : [];
        const grads: Record<string, tf.Tensor> = {};
        KEYS.forEach((key, i) => {
          if (!missing.includes(key)) grads[key] = randomTensor(rng, SHAPES[i]!, 2);
        });
        packed.apply(grads);
        reference.apply(grads);
        tf.dispose(Object.values(grads));
        expectNear(await values(packedWeights), await values(referenceWeights), `weights after step ${step + 1}`);
      }
      expect(packed.steps).toBe(reference.steps);
      const state = packed.state();
      const referenceState = reference.state();
      // The per-weight form writes a weight's average from its first update; by now every weight had one.
      expectNear(await values(Object.entries(state)), await values(Object.entries(referenceState)), 'slots');
      tf.dispose([...Object.values(state), ...Object.values(referenceState)]);
      const averages = packed.averages();
      const referenceAverages = reference.averages();
      expectNear(await values(averages), await values(referenceAverages), 'averages');
      tf.dispose([...averages.values(), ...referenceAverages.values()]);
      packed.dispose();
      reference.dispose();
      tf.dispose([...packedWeights.values(), ...referenceWeights.values()]);
    });
  }

  it.each([true, false])('takes Adam’s first step by hand: w − lr·√(1−β2)·g / (√(1−β2)·|g| + ε) (packed: %s)', async (packed) => {
    const w = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const optimizer = createOptimizer(zOptimizer.parse({ type: 'adam', learningRate: 0.1 }), new Map([['w', w]]), ['w'], { packed });
    const g = [0.3, -4, 1e-9];
    optimizer.apply({ w: tf.tensor1d(g) });
    const c = Math.sqrt(1 - 0.999);
    const expected = [1, -2, 0.5].map((x, i) => x - (0.1 * c * g[i]!) / (c * Math.abs(g[i]!) + 1e-8));
    const got = Array.from(await w.data());
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 6));
    optimizer.dispose();
    w.dispose();
  });

  it.each([
    ['Adam with decay, clipping and an average', { adam: 1, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.99, oneMinusBeta2: 0.01, momentum: 0, epsilon: 1e-8, stepSize: 0.01, decay: 0.05, decoupled: 0, emaDecay: 0.9, oneMinusEmaDecay: 0.1, weightsOffset: 0 }],
    ['AdamW, first update', { adam: 1, beta1: 0.8, oneMinusBeta1: 0.2, beta2: 0.999, oneMinusBeta2: 0.001, momentum: 0, epsilon: 1e-8, stepSize: 0.003, decay: 0, decoupled: 0.0004, emaDecay: 0, oneMinusEmaDecay: 1, weightsOffset: 0 }],
    ['SGD with momentum', { adam: 0, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, momentum: 0.9, epsilon: 1e-8, stepSize: 0.1, decay: 0.01, decoupled: 0, emaDecay: 0.5, oneMinusEmaDecay: 0.5, weightsOffset: 0 }],
    ['SGD reading its weights from the state’s weights row', { adam: 0, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, momentum: 0.9, epsilon: 1e-8, stepSize: 0.1, decay: 0.01, decoupled: 0, emaDecay: 0.5, oneMinusEmaDecay: 0.5, weightsOffset: -1 }],
  ])('the fused step writes the rows its TF.js ops write (the form WebGL runs): %s', async (_name, attrs) => {
    const rng = new Rng(21);
    const size = 3000;
    const state = tf.abs(randomTensor(rng, [4, size]));
    // weightsOffset −1 stands for the weights row of the state itself.
    const fromState = attrs.weightsOffset < 0;
    const inputs = { g: randomTensor(rng, [size], 2), state, w: fromState ? state.clone() : randomTensor(rng, [size]), scale: tf.tensor1d([0.7]) };
    const stepAttrs = { ...attrs, weightsOffset: fromState ? 2 * size : 0 };
    const fused = runFused(optimizerStepKernel, inputs, stepAttrs);
    const ops = optimizerStepOps(inputs, stepAttrs);
    expectNear({ rows: Array.from(await fused.data()) }, { rows: Array.from(await ops.data()) }, 'rows');
    tf.dispose([fused, ops, ...Object.values(inputs)]);
  });

  it.each([
    [true, true],
    [false, true],
    [true, false],
  ])('restores its slots from a checkpoint’s per-weight tensors and goes on as the saved one would (saved packed: %s, restored packed: %s)', async (savedPacked, restoredPacked) => {
    const settings = zOptimizer.parse({ type: 'adam', learningRate: 0.01, ema: 0.8 });
    const first = weights(3);
    const optimizer = createOptimizer(settings, first, KEYS, { packed: savedPacked });
    const rng = new Rng(4);
    const gradsAt = () => Object.fromEntries(KEYS.map((key, i) => [key, randomTensor(rng, SHAPES[i]!)]));
    const early = gradsAt();
    optimizer.apply(early);
    const saved = optimizer.state();
    const second = new Map([...first].map(([key, v]) => [key, tf.variable(v.clone(), true, `${key}-copy`)]));
    const restored = createOptimizer(settings, second, KEYS, { packed: restoredPacked });
    restored.restore(optimizer.steps, new Map(Object.entries(saved)));
    const late = gradsAt();
    optimizer.apply(late);
    restored.apply(late);
    expectNear(await values(second), await values(first), 'weights after the restored step');
    const [restoredAverages, savedAverages] = [restored.averages(), optimizer.averages()];
    expectNear(await values(restoredAverages), await values(savedAverages), 'averages after the restored step');
    tf.dispose([...restoredAverages.values(), ...savedAverages.values()]);
    tf.dispose([...Object.values(early), ...Object.values(late), ...Object.values(saved), ...first.values(), ...second.values()]);
    optimizer.dispose();
    restored.dispose();
  });

  it('reads a weight assigned between updates (a loaded checkpoint) rather than the value it last wrote', async () => {
    const settings = zOptimizer.parse({ type: 'adamw', learningRate: 0.05, weightDecay: 0.1, clipNorm: 0.5 });
    const packedWeights = weights(5);
    const referenceWeights = weights(5);
    const packed = createOptimizer(settings, packedWeights, KEYS, { packed: true });
    const reference = createOptimizer(settings, referenceWeights, KEYS, { packed: false });
    const rng = new Rng(6);
    for (let step = 0; step < 4; step++) {
      if (step === 2) {
        for (const map of [packedWeights, referenceWeights]) map.get('w1')!.assign(tf.fill(SHAPES[1]!, 0.25));
      }
      const grads = Object.fromEntries(KEYS.map((key, i) => [key, randomTensor(rng, SHAPES[i]!, 2)]));
      packed.apply(grads);
      reference.apply(grads);
      tf.dispose(Object.values(grads));
      expectNear(await values(packedWeights), await values(referenceWeights), `weights after step ${step + 1}`);
    }
    packed.dispose();
    reference.dispose();
    tf.dispose([...packedWeights.values(), ...referenceWeights.values()]);
  });

  it('runs its element-wise update once for all weights: only packing and write-back grow with their number', async () => {
    const settings = zOptimizer.parse({ type: 'adamw', learningRate: 0.01, weightDecay: 0.01, clipNorm: 1, ema: 0.99 });
    const kernelsFor = async (count: number, packed: boolean) => {
      const keys = Array.from({ length: count }, (_, i) => `k${i}`);
      const variables = new Map(keys.map((key) => [key, tf.variable(tf.ones([4, 4]), true, `${key}-${count}-${Math.random()}`)]));
      const optimizer = createOptimizer(settings, variables, keys, { packed });
      const grads = Object.fromEntries(keys.map((key) => [key, tf.fill([4, 4], 0.5)]));
      optimizer.apply(grads); // creates the slots
      const { kernels } = await tf.profile(() => optimizer.apply(grads));
      optimizer.dispose();
      tf.dispose([...variables.values(), ...Object.values(grads)]);
      const byName = (names: string[]) => kernels.filter((k) => names.includes(k.name)).length;
      return { all: kernels.length, perWeight: byName(['Reshape', 'Slice', 'Concat']), rest: kernels.length - byName(['Reshape', 'Slice', 'Concat']) };
    };
    const two = await kernelsFor(2, true);
    const forty = await kernelsFor(40, true);
    expect(forty.rest).toBe(two.rest);
    // Per weight: its gradient's and its value's reshape, and the slice and reshape of its new value.
    expect(forty.perWeight - two.perWeight).toBeLessThanOrEqual(4 * 38 + 2);
    const reference = await kernelsFor(40, false);
    expect(forty.all).toBeLessThan(reference.all / 2);
    expect(forty.all - forty.perWeight).toBeLessThanOrEqual(30);
  });
});
