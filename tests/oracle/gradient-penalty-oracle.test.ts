/**
 * WGAN-GP's critic loss against PyTorch: the same points, scores, ε and
 * weights go through our graph (Interpolate, a Dense critic on the
 * interpolates, AdversarialLoss with a gradient penalty; float32, cpu and
 * wasm) and through gradient_penalty_reference.py (float64, the penalty's
 * gradient from torch.autograd.grad with create_graph=True). The loss and
 * its gradient with respect to every kernel and bias (second-order: the
 * penalty holds the critic's gradient) must agree to
 *   |ours − torch| ≤ 1e-4 · |torch| + 1e-5.
 * Skipped, saying so, when /usr/bin/python3 cannot import torch.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/core/train/gradients.ts';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { useWasmBackend } from '../../src/core/train/backends/wasm.node.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { makeDocument, type NodeSketch } from '../helpers.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./gradient_penalty_reference.py', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`gradient-penalty oracle: skipped, ${PYTHON} cannot import torch (install Debian's python3-torch)`);

afterAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  name: string;
  dims: number;
  layers: { units: number; activation: string }[];
  lambda: number;
  weight: number;
}

const CASES: Case[] = [
  { name: 'leakyRelu MLP, λ 10 (the paper)', dims: 2, layers: [{ units: 5, activation: 'leakyRelu' }, { units: 4, activation: 'leakyRelu' }, { units: 1, activation: 'linear' }], lambda: 10, weight: 1 },
  { name: 'tanh and relu MLP, λ 0.1, weight 0.5', dims: 3, layers: [{ units: 4, activation: 'tanh' }, { units: 4, activation: 'relu' }, { units: 1, activation: 'linear' }], lambda: 0.1, weight: 0.5 },
  { name: 'gelu, silu and sigmoid', dims: 2, layers: [{ units: 4, activation: 'gelu' }, { units: 3, activation: 'silu' }, { units: 3, activation: 'sigmoid' }, { units: 1, activation: 'linear' }], lambda: 1, weight: 1 },
];

const BATCH = 4;
const SEED = 21;

async function ours(c: Case) {
  const critic: NodeSketch[] = c.layers.map((l, i) => ({ id: `l${i}`, kind: 'Dense', params: { units: l.units, activation: l.activation } }));
  const nodes: NodeSketch[] = [
    { id: 'pa', kind: 'Input', params: { shape: [c.dims] } },
    { id: 'pb', kind: 'Input', params: { shape: [c.dims] } },
    { id: 'real', kind: 'Input', params: { shape: [1] } },
    { id: 'fake', kind: 'Input', params: { shape: [1] } },
    { id: 'mix', kind: 'Interpolate' },
    ...critic,
    { id: 'n', kind: 'AdversarialLoss', params: { loss: 'wasserstein', gradientPenalty: c.lambda, weight: c.weight } },
  ];
  const chain = critic.map((l, i) => `${i === 0 ? 'mix.x' : `l${i - 1}.y`}->${l.id}.x`);
  const analysis = analyze(makeDocument(nodes, ['pa.x->mix.a', 'pb.x->mix.b', ...chain, 'mix.x->n.interpolates', `l${critic.length - 1}.y->n.interpolateScores`, 'real.x->n.real', 'fake.x->n.fake']));
  expect(analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const variables = createVariables(analysis, 5);
  const rng = new Rng(SEED);
  // Jittered biases, so that zero biases are checked at a generic point.
  for (const [key, v] of variables) if (key.endsWith('/bias')) tf.tidy(() => v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => 0.3 * rng.normal()), v.shape)));
  const draw = (n: number) => Array.from({ length: n }, () => rng.normal());
  const inputs = { a: draw(BATCH * c.dims), b: draw(BATCH * c.dims), real: draw(BATCH), fake: draw(BATCH) };
  const feeds = {
    pa: { x: tf.tensor(inputs.a, [BATCH, c.dims]) },
    pb: { x: tf.tensor(inputs.b, [BATCH, c.dims]) },
    real: { x: tf.tensor(inputs.real, [BATCH, 1]) },
    fake: { x: tf.tensor(inputs.fake, [BATCH, 1]) },
  };
  // The Interpolate op is the graph's only random draw: its ε are the source's first uniforms.
  const epsilonTensor = createRandom(SEED).uniform([BATCH, 1]);
  const epsilon = Array.from(await epsilonTensor.data());
  epsilonTensor.dispose();
  const ops = analysis.ops.filter((op) => op.phase === 'train');
  const key = analysis.nodes.get('n')!.outputKeys.loss!;
  const order = c.layers.flatMap((_, i) => [`l${i}/kernel`, `l${i}/bias`]);
  const list = order.map((k) => variables.get(k)!);
  const { value, grads } = tf.variableGrads(() => runOps(ops, analysis, { variables, feeds, batchSize: BATCH, training: true, random: createRandom(SEED) }).get(key)! as tf.Scalar, list);
  const result = {
    loss: (await value.data())[0]!,
    grads: await Promise.all(list.map(async (v) => Array.from(grads[v.name] ? await grads[v.name]!.data() : new Float32Array(v.size)))),
    layers: await Promise.all(c.layers.map(async (l, i) => ({ kernel: await variables.get(`l${i}/kernel`)!.array(), bias: Array.from(await variables.get(`l${i}/bias`)!.data()), activation: l.activation }))),
  };
  tf.dispose([value, ...Object.values(grads), ...variables.values(), ...Object.values(feeds).map((f) => f.x)]);
  const reshape = (values: number[]) => Array.from({ length: BATCH }, (_, i) => values.slice(i * (values.length / BATCH), (i + 1) * (values.length / BATCH)));
  return { ...result, request: { a: reshape(inputs.a), b: reshape(inputs.b), real: reshape(inputs.real), fake: reshape(inputs.fake), epsilon, lambda: c.lambda, weight: c.weight, layers: result.layers } };
}

function torchReference(request: unknown): { loss: number; penalty: number; grads: number[][] } {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`torch reference failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const close = (ours: number, torch: number) => Math.abs(ours - torch) <= 1e-4 * Math.abs(torch) + 1e-5;

describe.skipIf(!hasTorch)('the gradient penalty against PyTorch (autograd.grad with create_graph)', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const c of CASES) {
      it(`${backend}: ${c.name}`, async () => {
        if (backend === 'wasm') await useWasmBackend();
        else await tf.setBackend('cpu');
        const mine = await ours(c);
        const torch = torchReference(mine.request);
        expect(torch.penalty, 'a penalty that is not vacuous').toBeGreaterThan(1e-3);
        expect(close(mine.loss, torch.loss), `loss: ours ${mine.loss}, torch ${torch.loss}`).toBe(true);
        const bad: string[] = [];
        let largest = 0;
        mine.grads.forEach((g, i) =>
          g.forEach((v, j) => {
            largest = Math.max(largest, Math.abs(torch.grads[i]![j]!));
            if (!close(v, torch.grads[i]![j]!)) bad.push(`variable ${i} [${j}]: ours ${v}, torch ${torch.grads[i]![j]}`);
          }),
        );
        expect(bad).toEqual([]);
        expect(largest).toBeGreaterThan(1e-3);
      });
    }
  }
});
