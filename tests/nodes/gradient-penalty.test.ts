/**
 * WGAN-GP's gradient penalty: Interpolate by hand, AdversarialLoss's
 * penalty by hand on critics whose gradient is known in closed form, and
 * the second-order gradient a training step takes (tf.variableGrads over a
 * loss that holds tf.grad) against central finite differences of the
 * penalty, on the cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/core/train/gradients.ts';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { opsBetween } from '../../src/core/compiler/input-gradients.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { useWasmBackend } from '../../src/core/train/backends/wasm.node.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { codes, expectClose, inferNode, makeDocument, runNode, type NodeSketch } from '../helpers.ts';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** ε of the one Interpolate op in a graph run with createRandom(seed): its first draw. */
async function epsilons(seed: number, batch: number): Promise<number[]> {
  const t = createRandom(seed).uniform([batch, 1]);
  const values = Array.from(await t.data());
  t.dispose();
  return values;
}

describe('Interpolate', () => {
  it('draws one ε per example: x = ε·a + (1 − ε)·b, by hand', async () => {
    const a = [1, 2, -3, 4];
    const b = [5, 6, 7, -8];
    const run = await runNode('Interpolate', {}, { a: { shape: [2, 2], values: a }, b: { shape: [2, 2], values: b } }, {}, { seed: 11 });
    const eps = await epsilons(11, 2);
    expect(eps.every((e) => e > 0 && e < 1)).toBe(true);
    const expected = a.map((v, i) => eps[Math.floor(i / 2)]! * v + (1 - eps[Math.floor(i / 2)]!) * b[i]!);
    expectClose(run.outputs.x!.values, expected);
    expect(run.outputs.x!.shape).toEqual([2, 2]);
  });

  it('needs a and b of one shape, batch first', () => {
    expect(inferNode('Interpolate', {}, { a: { shape: [2] }, b: { shape: [2] } }).outputs.x?.shape).toEqual(['B', 2]);
    expect(inferNode('Interpolate', {}, { a: { shape: [2] }, b: { shape: [3] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('Interpolate', {}, { a: { shape: [2] } }).codes).toEqual(['GC102@n.b']);
  });
});

/** real and fake scores from Inputs; the penalty's critic `layers` on an Interpolate of two point Inputs. */
function penaltyGraph(loss: Record<string, unknown>, layers: NodeSketch[], dims = 2) {
  const nodes: NodeSketch[] = [
    { id: 'pa', kind: 'Input', params: { shape: [dims] } },
    { id: 'pb', kind: 'Input', params: { shape: [dims] } },
    { id: 'real', kind: 'Input', params: { shape: [1] } },
    { id: 'fake', kind: 'Input', params: { shape: [1] } },
    { id: 'mix', kind: 'Interpolate' },
    ...layers,
    { id: 'n', kind: 'AdversarialLoss', params: { loss: 'wasserstein', ...loss } },
  ];
  const chain = layers.map((l, i) => `${i === 0 ? 'mix.x' : `${layers[i - 1]!.id}.y`}->${l.id}.x`);
  const last = layers[layers.length - 1]!.id;
  return makeDocument(nodes, ['pa.x->mix.a', 'pb.x->mix.b', ...chain, 'mix.x->n.interpolates', `${last}.y->n.interpolateScores`, 'real.x->n.real', 'fake.x->n.fake']);
}

/** A critic on 4×4 images whose first layer is a pooling `kind`. */
function penaltyGraphImage(kind: string) {
  const doc = penaltyGraph({ gradientPenalty: 1 }, [
    { id: 'pool', kind },
    { id: 'flat', kind: 'Flatten' },
    { id: 'out', kind: 'Dense', params: { units: 1 } },
  ]);
  for (const node of doc.nodes) if (node.id === 'pa' || node.id === 'pb') node.params = { shape: [4, 4, 1] };
  return doc;
}

/** Runs the graph's loss with given variable values (by key suffix) and inputs. */
async function lossOf(doc: ReturnType<typeof makeDocument>, vars: Record<string, number[]>, inputs: Record<string, number[]>, batch: number, seed: number): Promise<number> {
  const analysis = analyze(doc);
  expect(analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const variables = createVariables(analysis, 1);
  for (const [suffix, values] of Object.entries(vars)) {
    const key = [...variables.keys()].find((k) => k.endsWith(suffix))!;
    variables.get(key)!.assign(tf.tensor(values, variables.get(key)!.shape));
  }
  const feeds: Record<string, Record<string, tf.Tensor>> = {};
  for (const [id, values] of Object.entries(inputs)) feeds[id] = { x: tf.tensor(values, [batch, values.length / batch]) };
  const ops = analysis.ops.filter((op) => op.phase === 'train');
  const values = runOps(ops, analysis, { variables, feeds, batchSize: batch, training: true, random: createRandom(seed) });
  const loss = (await values.get(analysis.nodes.get('n')!.outputKeys.loss!)!.data())[0]!;
  tf.dispose([...values.values(), ...variables.values(), ...Object.values(feeds).map((f) => f.x)]);
  return loss;
}

describe('AdversarialLoss gradient penalty', () => {
  it('needs the interpolates and the critic on them, on the discriminator side', () => {
    const scores = { real: { shape: [1] }, fake: { shape: [1] } };
    expect(inferNode('AdversarialLoss', { gradientPenalty: 10 }, scores).codes).toEqual(['GC102@n.interpolates']);
    expect(inferNode('AdversarialLoss', { gradientPenalty: 10 }, { ...scores, interpolates: { shape: [2] } }).codes).toEqual(['GC102@n.interpolateScores']);
    expect(inferNode('AdversarialLoss', { gradientPenalty: 10 }, { ...scores, interpolates: { shape: [2] }, interpolateScores: { shape: [2] } }).codes).toEqual(['GC106@n.interpolateScores']);
    expect(inferNode('AdversarialLoss', { gradientPenalty: 10, side: 'generator' }, { fake: { shape: [1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AdversarialLoss', { gradientPenalty: -1 }, scores).codes).toEqual(['GC107@n']);
    expect(inferNode('AdversarialLoss', { gradientPenalty: 10 }, { ...scores, interpolates: { shape: [2] }, interpolateScores: { shape: [1] } }).codes).toEqual([]);
  });

  it('a linear critic w·x + b has gradient w everywhere: λ (‖w‖ − 1)², by hand', async () => {
    // w = (3, 4): ‖w‖ = 5, penalty (5 − 1)² = 16 for every point; λ = 10 gives 160.
    // Wasserstein part: mean(fake) − mean(real) = (−1 + 0)/2 − (2 + 1)/2 = −2.
    const doc = penaltyGraph({ gradientPenalty: 10 }, [{ id: 'critic', kind: 'Dense', params: { units: 1 } }]);
    const loss = await lossOf(doc, { '/kernel': [3, 4], '/bias': [0.5] }, { pa: [1, 2, 3, 4], pb: [0, -1, 2, 2], real: [2, 1], fake: [-1, 0] }, 2, 3);
    expectClose([loss], [-2 + 160]);
    // The weight scales the whole loss, the penalty included.
    const halved = await lossOf(penaltyGraph({ gradientPenalty: 10, weight: 0.5 }, [{ id: 'critic', kind: 'Dense', params: { units: 1 } }]), { '/kernel': [3, 4], '/bias': [0.5] }, { pa: [1, 2, 3, 4], pb: [0, -1, 2, 2], real: [2, 1], fake: [-1, 0] }, 2, 3);
    expectClose([halved], [(-2 + 160) / 2]);
  });

  it("leaves no tensors behind: the input gradient lives only for the loss's forward", async () => {
    const doc = penaltyGraph({ gradientPenalty: 10 }, [{ id: 'critic', kind: 'Dense', params: { units: 1, activation: 'tanh' } }]);
    const inputs = { pa: [1, 2, 3, 4], pb: [0, -1, 2, 2], real: [2, 1], fake: [-1, 0] };
    await lossOf(doc, {}, inputs, 2, 3);
    const before = tf.memory().numTensors;
    await lossOf(doc, {}, inputs, 2, 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a tanh critic: ∇ tanh(w·x̂ + b) = (1 − tanh²)·w at each interpolate, by hand', async () => {
    const w = [0.3, -0.4];
    const b = 0.1;
    const pa = [1, 2, -1, 0.5, 2, -2];
    const pb = [0, 1, 1, -1, -0.5, 0.5];
    const eps = await epsilons(5, 3);
    let penalty = 0;
    for (let i = 0; i < 3; i++) {
      const x = [0, 1].map((j) => eps[i]! * pa[2 * i + j]! + (1 - eps[i]!) * pb[2 * i + j]!);
      const s = w[0]! * x[0]! + w[1]! * x[1]! + b;
      const norm = (1 - Math.tanh(s) ** 2) * Math.hypot(w[0]!, w[1]!);
      penalty += (norm - 1) ** 2 / 3;
    }
    const doc = penaltyGraph({ gradientPenalty: 2 }, [{ id: 'critic', kind: 'Dense', params: { units: 1, activation: 'tanh' } }]);
    const loss = await lossOf(doc, { '/kernel': w, '/bias': [b] }, { pa, pb, real: [0, 0, 0], fake: [0, 0, 0] }, 3, 5);
    expectClose([loss], [2 * penalty]);
  });

  it('the ops between the interpolates and the scores are the critic on them, nothing else', () => {
    const doc = penaltyGraph({ gradientPenalty: 1 }, [
      { id: 'h', kind: 'Dense', params: { units: 3, activation: 'leakyRelu' } },
      { id: 'out', kind: 'Dense', params: { units: 1 } },
    ]);
    const analysis = analyze(doc);
    const loss = analysis.ops.find((op) => op.id === 'n')!;
    const between = opsBetween(analysis.ops, loss.inputs.interpolates!, loss.inputs.interpolateScores!);
    expect(between.map((op) => op.id)).toEqual(['h', 'out']);
    expect(opsBetween(analysis.ops, loss.inputs.real!, loss.inputs.interpolateScores!)).toEqual([]);
  });
});

/**
 * The loss holds only the penalty (real and fake scores are constant
 * Inputs), so every gradient with respect to the critic's weights is a
 * second-order one: a backend or kernel that dropped the second pass would
 * give zeros here, and one that computed it wrongly would miss the finite
 * differences.
 */
const CRITICS: { label: string; layers: NodeSketch[]; dims: number[] }[] = [
  {
    label: 'MLP, leakyRelu (the wgan-gp-2d critic)',
    layers: [
      { id: 'h1', kind: 'Dense', params: { units: 4, activation: 'leakyRelu' } },
      { id: 'h2', kind: 'Dense', params: { units: 4, activation: 'leakyRelu' } },
      { id: 'out', kind: 'Dense', params: { units: 1 } },
    ],
    dims: [2],
  },
  {
    label: 'MLP, relu and tanh',
    layers: [
      { id: 'h1', kind: 'Dense', params: { units: 4, activation: 'relu' } },
      { id: 'h2', kind: 'Dense', params: { units: 3, activation: 'tanh' } },
      { id: 'out', kind: 'Dense', params: { units: 1 } },
    ],
    dims: [3],
  },
  {
    // TF.js keeps the outputs of tanh and sigmoid for their gradients, out of the second pass's sight (input-gradients.ts swaps them).
    label: 'MLP, gelu, silu and sigmoid',
    layers: [
      { id: 'h1', kind: 'Dense', params: { units: 4, activation: 'gelu' } },
      { id: 'h2', kind: 'Dense', params: { units: 3, activation: 'silu' } },
      { id: 'h3', kind: 'Dense', params: { units: 3, activation: 'sigmoid' } },
      { id: 'out', kind: 'Dense', params: { units: 1 } },
    ],
    dims: [2],
  },
  {
    label: 'conv, leakyRelu, LayerNorm',
    layers: [
      { id: 'c1', kind: 'Conv2D', params: { filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'leakyRelu' } },
      { id: 'flat', kind: 'Flatten' },
      { id: 'norm', kind: 'LayerNorm' },
      { id: 'out', kind: 'Dense', params: { units: 1 } },
    ],
    dims: [4, 4, 1],
  },
];

async function secondOrderCheck(critic: (typeof CRITICS)[number]): Promise<{ checked: number; mismatches: string[]; largest: number }> {
  const batch = 3;
  const shape = critic.dims;
  const nodes: NodeSketch[] = [
    { id: 'pa', kind: 'Input', params: { shape } },
    { id: 'pb', kind: 'Input', params: { shape } },
    { id: 'real', kind: 'Input', params: { shape: [1] } },
    { id: 'fake', kind: 'Input', params: { shape: [1] } },
    { id: 'mix', kind: 'Interpolate' },
    ...critic.layers,
    { id: 'n', kind: 'AdversarialLoss', params: { loss: 'wasserstein', gradientPenalty: 3 } },
  ];
  const chain = critic.layers.map((l, i) => `${i === 0 ? 'mix.x' : `${critic.layers[i - 1]!.id}.y`}->${l.id}.x`);
  const doc = makeDocument(nodes, ['pa.x->mix.a', 'pb.x->mix.b', ...chain, 'mix.x->n.interpolates', `out.y->n.interpolateScores`, 'real.x->n.real', 'fake.x->n.fake']);
  const analysis = analyze(doc);
  expect(codes(analysis)).toEqual([]);
  const variables = createVariables(analysis, 4);
  const rng = new Rng(9);
  // Jitter, so that zero biases and unit gains are checked at a generic point.
  for (const v of variables.values()) tf.tidy(() => v.assign(tf.add(v, tf.mul(0.3, tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal()), v.shape)))));
  const size = shape.reduce((a, b) => a * b, 1);
  const draw = () => tf.tensor(Float32Array.from({ length: batch * size }, () => rng.normal()), [batch, ...shape]);
  const feeds = { pa: { x: draw() }, pb: { x: draw() }, real: { x: tf.zeros([batch, 1]) }, fake: { x: tf.zeros([batch, 1]) } };
  const ops = analysis.ops.filter((op) => op.phase === 'train');
  const key = analysis.nodes.get('n')!.outputKeys.loss!;
  const loss = () => tf.tidy(() => runOps(ops, analysis, { variables, feeds, batchSize: batch, training: true, random: createRandom(13) }).get(key)! as tf.Scalar);
  const list = [...variables.values()];
  const { value, grads } = tf.variableGrads(loss, list);
  value.dispose();
  const mismatches: string[] = [];
  let checked = 0;
  let largest = 0;
  let kinks = 0;
  const STEP = 1e-2;
  for (const [name, v] of variables) {
    const analytic = grads[v.name] ? await grads[v.name]!.data() : new Float32Array(v.size);
    const base = (await v.data()).slice() as Float32Array;
    for (let i = 0; i < Math.min(v.size, 8); i++) {
      const at = async (delta: number) => {
        const moved = base.slice();
        moved[i] = base[i]! + delta;
        tf.tidy(() => v.assign(tf.tensor(moved, v.shape)));
        const f = loss();
        const out = (await f.data())[0]!;
        f.dispose();
        return out;
      };
      const coarse = ((await at(STEP)) - (await at(-STEP))) / (2 * STEP);
      const fd = ((await at(STEP / 4)) - (await at(-STEP / 4))) / (STEP / 2);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      // A step across a kink of relu or leakyRelu jumps (the penalty is only piecewise smooth there): the two steps then disagree; such a coordinate is not checked.
      if (Math.abs(coarse - fd) > 5e-2 * Math.abs(fd) + 5e-3) {
        kinks += 1;
        continue;
      }
      checked += 1;
      largest = Math.max(largest, Math.abs(fd));
      if (!(Math.abs(fd - analytic[i]!) <= 2e-2 * Math.abs(fd) + 2e-3)) mismatches.push(`${name}[${i}]: analytic ${analytic[i]}, finite differences ${fd}`);
    }
  }
  tf.dispose([...Object.values(grads), ...list, ...Object.values(feeds).map((f) => f.x)]);
  expect(kinks, 'coordinates skipped at kinks').toBeLessThan(checked / 4);
  return { checked, mismatches, largest };
}

describe('the penalty differentiated again (a training step), against finite differences', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const critic of CRITICS) {
      it(`${backend}: ${critic.label}`, async () => {
        if (backend === 'wasm') await useWasmBackend();
        else await tf.setBackend('cpu');
        const { checked, mismatches, largest } = await secondOrderCheck(critic);
        expect(mismatches).toEqual([]);
        expect(checked).toBeGreaterThan(10);
        // Not a vacuous check: the weights move the penalty.
        expect(largest).toBeGreaterThan(1e-2);
      });
    }
  }
});

// WebGPU here is Mesa's software rasterizer (as in tests/train/presets-webgpu.test.ts); the same kernels run on a GPU.
describe('the penalty differentiated again on webgpu (Dawn)', () => {
  it('MLP critics, against finite differences', { timeout: 300_000 }, async () => {
    await initNodeBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    for (const critic of CRITICS.slice(0, 2)) {
      const { checked, mismatches } = await secondOrderCheck(critic);
      expect(mismatches, critic.label).toEqual([]);
      expect(checked).toBeGreaterThan(10);
    }
  });
});

describe('what validate says before training', () => {
  const diagnosticsOf = (doc: ReturnType<typeof makeDocument>) => {
    const compiled = compile(doc);
    return compiled.diagnostics.filter((d) => d.code !== 'GC114').map((d) => `${d.code}@${d.node}: ${d.message}`);
  };

  it('a pooling layer in the critic: TF.js cannot differentiate its gradient again, named with the node', () => {
    const found = diagnosticsOf(penaltyGraphImage('MaxPool2D'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^GC130@n: .*"pool" \(MaxPool2D\).*MaxPoolGrad.*strided Conv2D/);
    expect(diagnosticsOf(penaltyGraphImage('AvgPool2D'))[0]).toMatch(/^GC130@n: .*"pool" \(AvgPool2D\)/);
    expect(compile(penaltyGraphImage('MaxPool2D')).ok).toBe(false);
  });

  it('BatchNorm in the critic is a warning: it mixes the examples whose gradients are penalised', () => {
    const doc = penaltyGraph({ gradientPenalty: 1 }, [
      { id: 'h', kind: 'Dense', params: { units: 3 } },
      { id: 'bn', kind: 'BatchNorm' },
      { id: 'out', kind: 'Dense', params: { units: 1 } },
    ]);
    const compiled = compile(doc);
    expect(compiled.ok).toBe(true);
    expect(diagnosticsOf(doc)).toEqual([expect.stringMatching(/^GC131@n: .*BatchNorm "bn"/)]);
  });

  it('scores that do not depend on the interpolates cannot be differentiated with respect to them', () => {
    const doc = makeDocument(
      [
        { id: 'pa', kind: 'Input', params: { shape: [2] } },
        { id: 'pb', kind: 'Input', params: { shape: [2] } },
        { id: 'real', kind: 'Input', params: { shape: [1] } },
        { id: 'fake', kind: 'Input', params: { shape: [1] } },
        { id: 'mix', kind: 'Interpolate' },
        { id: 'critic', kind: 'Dense', params: { units: 1 } },
        { id: 'n', kind: 'AdversarialLoss', params: { loss: 'wasserstein', gradientPenalty: 1 } },
      ],
      ['pa.x->mix.a', 'pb.x->mix.b', 'pa.x->critic.x', 'mix.x->n.interpolates', 'critic.y->n.interpolateScores', 'real.x->n.real', 'fake.x->n.fake'],
    );
    expect(diagnosticsOf(doc)).toEqual([expect.stringMatching(/^GC130@n: .*"interpolateScores" does not depend on "interpolates"/)]);
  });
});

describe('a WGAN-GP graph trains', () => {
  it('the preset compiles, and a critic step and a generator step give finite losses', async () => {
    await tf.setBackend('cpu');
    const { readFileSync } = await import('node:fs');
    const { loadText } = await import('../../src/core/graph/load.ts');
    const { TrainingSession } = await import('../../src/core/train/session.ts');
    const loaded = loadText(readFileSync('graph-presets/wgan-gp-2d.json', 'utf8'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const compiled = compile(loaded.document);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const rng = new Rng(1);
    const session = new TrainingSession(compiled.program, (_op, _step, batch) => ({ x: tf.tensor(Float32Array.from({ length: batch * 2 }, () => rng.normal()), [batch, 2]) }), 16);
    // Five critic steps, then one generator step (shares 5 and 1).
    expect(compiled.program.objectives.map((o) => `${o.id}:${o.share}`)).toEqual(['D:5', 'G:1']);
    for (let i = 0; i < 6; i++) session.trainStep();
    const report = await session.readLosses();
    expect(report.objectives.D!.steps).toBe(5);
    expect(report.objectives.G!.steps).toBe(1);
    expect(Number.isFinite(report.objectives.D!.total)).toBe(true);
    expect(Number.isFinite(report.objectives.G!.total)).toBe(true);
    session.dispose();
  });
});
