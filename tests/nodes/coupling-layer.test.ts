import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { expectClose, inferNode, makeDocument, runNode } from '../helpers.ts';
import { invertChain, runGraph } from '../flow-helpers.ts';

// A tiny s/t network: one hidden unit. h = relu(2·x1 + 0.5), s = 0.2·h + 0.1, t = −h + 1.
const TINY = { 'h1/kernel': [2], 'h1/bias': [0.5], 's/kernel': [0.2], 's/bias': [0.1], 't/kernel': [-1], 't/bias': [1] };
const TINY_PARAMS = { hidden: 1, layers: 1, clamp: 0 };

describe('CouplingLayer', () => {
  it('keeps [B, D] and outputs a log-determinant', () => {
    const out = inferNode('CouplingLayer', {}, { x: { shape: [4] } }).outputs;
    expect([out.y?.shape, out.logdet?.shape]).toEqual([['B', 4], ['B']]);
    expect(inferNode('CouplingLayer', {}, { x: { shape: [2] }, logdet: { shape: [] } }).outputs.logdet?.shape).toEqual(['B']);
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('CouplingLayer', {}, { x: { shape: [1] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('CouplingLayer', {}, { x: { shape: [2, 3] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('CouplingLayer', {}, { x: { shape: [4] }, logdet: { shape: [4] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('CouplingLayer', { hidden: 0 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('CouplingLayer', { layers: 9 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('CouplingLayer', { permute: 'random' }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
  });

  it('expands into Split, an MLP, zero-initialised s and t heads, AffineCoupling, Concat and Permute', () => {
    const { analysis } = inferNode('CouplingLayer', { hidden: 8, layers: 2, permute: 'reverse' }, { x: { shape: [5] } });
    const ops = analysis.ops.filter((op) => op.id.startsWith('n/'));
    const shapes = Object.fromEntries(ops.map((op) => [op.id, Object.fromEntries(Object.entries(op.outputs).map(([p, k]) => [p, analysis.values.get(k)!.shape]))]));
    expect(ops.map((op) => op.kind).sort()).toEqual(['AffineCoupling', 'Concat', 'Dense', 'Dense', 'Dense', 'Dense', 'Permute', 'Split']);
    // D = 5: the first 2 features condition, the last 3 are transformed.
    // Split and Concat are volume-preserving: only AffineCoupling and Permute carry the log-determinant.
    expect(shapes['n/split']).toEqual({ a: ['B', 2], b: ['B', 3] });
    expect(shapes['n/h1']).toEqual({ y: ['B', 8] });
    expect(shapes['n/h2']).toEqual({ y: ['B', 8] });
    expect(shapes['n/s']).toEqual({ y: ['B', 3] });
    expect(shapes['n/t']).toEqual({ y: ['B', 3] });
    expect(shapes['n/coupling']).toEqual({ y: ['B', 3], logdet: ['B'] });
    expect(shapes['n/concat']).toEqual({ y: ['B', 5] });
    expect(shapes['n/permute']).toEqual({ y: ['B', 5], logdet: ['B'] });
    const byId = new Map(ops.map((op) => [op.id, op]));
    expect(byId.get('n/h1')!.inputs.x).toBe(byId.get('n/split')!.outputs.a);
    expect(byId.get('n/coupling')!.inputs.x).toBe(byId.get('n/split')!.outputs.b);
    expect([byId.get('n/split')!.inputs.logdet, byId.get('n/concat')!.inputs.logdet]).toEqual([undefined, undefined]);
    expect(byId.get('n/permute')!.inputs.logdet).toBe(byId.get('n/coupling')!.outputs.logdet);
    expect(byId.get('n/concat')!.params).toEqual({ axis: -1 });
    for (const head of ['n/s', 'n/t']) expect(byId.get(head)!.variables.map((v) => v.init.kind)).toEqual(['zeros', 'zeros']);
    // Flipped, the last 3 condition and the first 2 move.
    const flipped = inferNode('CouplingLayer', { flip: true }, { x: { shape: [5] } }).analysis;
    const coupling = flipped.ops.find((op) => op.id === 'n/coupling')!;
    expect(coupling.inputs.x).toBe('n/split:a');
    expect(flipped.values.get(coupling.outputs.y!)!.shape).toEqual(['B', 2]);
  });

  it('starts as the identity', async () => {
    const run = await runNode('CouplingLayer', { permute: 'none' }, { x: { shape: [2, 3], values: [1, 2, 3, -4, 5, 6] } });
    expectClose(run.outputs.y!.values, [1, 2, 3, -4, 5, 6]);
    expectClose(run.outputs.logdet!.values, [0, 0]);
  });

  it('transforms the second half and adds sum(s), by hand', async () => {
    // x = [1, 3]: h = relu(2 + 0.5) = 2.5, s = 0.6, t = −1.5; y = [1, 3·e^0.6 − 1.5] = [1, 3.966356]; logdet = 0.6.
    // x = [−1, 0]: h = relu(−1.5) = 0, s = 0.1, t = 1; y = [−1, 0·e^0.1 + 1] = [−1, 1]; logdet = 0.1.
    const run = await runNode('CouplingLayer', TINY_PARAMS, { x: { shape: [2, 2], values: [1, 3, -1, 0] } }, TINY);
    expectClose(run.outputs.y!.values, [1, 3.9663564011715264, -1, 1]);
    expectClose(run.outputs.logdet!.values, [0.6, 0.1]);
    // A chain coming in adds on: 2 + 0.6, 2 + 0.1.
    const chained = await runNode('CouplingLayer', TINY_PARAMS, { x: { shape: [2, 2], values: [1, 3, -1, 0] }, logdet: { shape: [2], values: [2, 2] } }, TINY);
    expectClose(chained.outputs.logdet!.values, [2.6, 2.1]);
  });

  it('flips the halves, reverses, and clamps the log-scale, by hand', async () => {
    // flip: x2 = 3 conditions: h = 6.5, s = 1.4, t = −5.5; x1 → 1·e^1.4 − 5.5 = −1.444800; reversed: [3, −1.444800].
    const flipped = await runNode('CouplingLayer', { ...TINY_PARAMS, flip: true, permute: 'reverse' }, { x: { shape: [1, 2], values: [1, 3] } }, TINY);
    expectClose(flipped.outputs.y!.values, [3, -1.4448000331553255]);
    expectClose(flipped.outputs.logdet!.values, [1.4]);
    // clamp 2: s = 2·tanh(0.6 / 2) = 0.582625; y2 = 3·e^0.582625 − 1.5 = 3.872200.
    const clamped = await runNode('CouplingLayer', { ...TINY_PARAMS, clamp: 2 }, { x: { shape: [1, 2], values: [1, 3] } }, TINY);
    expectClose(clamped.outputs.y!.values, [1, 3.872200029662154]);
    expectClose(clamped.outputs.logdet!.values, [0.5826252249031818]);
  });

  it('runs backwards through its primitives to recover x', () => {
    // Two layers of each orientation, ActNorm and a shuffle, with every weight random.
    const x = [0.3, -1.2, 2.0, 0.7, -0.4, 1.1, 0.0, -2.5, 0.9, 0.05];
    const run = runGraph(
      [
        { id: 'x', kind: 'Input', params: { shape: [5] } },
        { id: 'c1', kind: 'CouplingLayer', params: { hidden: 8, layers: 2, permute: 'reverse' } },
        { id: 'c2', kind: 'CouplingLayer', params: { hidden: 8, layers: 1, flip: true, activation: 'tanh', clamp: 0 } },
        { id: 'norm', kind: 'ActNorm' },
        { id: 'perm', kind: 'Permute', params: { mode: 'random', seed: 5 } },
      ],
      ['x.x->c1.x', 'c1.y->c2.x', 'c1.logdet->c2.logdet', 'c2.y->norm.x', 'c2.logdet->norm.logdet', 'norm.y->perm.x', 'norm.logdet->perm.logdet'],
      { x: { shape: [2, 5], values: x } },
      { randomVars: true },
    );
    const z = run.out('perm.y');
    // The weights are far from the identity, so this is a real test.
    expect(Math.max(...z.values.map((v, i) => Math.abs(v - x[i]!)))).toBeGreaterThan(0.1);
    const yKey = run.analysis.nodes.get('perm')!.outputKeys.y!;
    const known = invertChain(run, new Map([[yKey, tf.tensor(z.values, z.shape)]]));
    const recovered = known.get('x:x');
    expect(recovered, 'the chain did not run back to the input').toBeDefined();
    expectClose(Array.from(recovered!.dataSync()), x, 1e-5);
    run.dispose();
  });

  it('leaves no tensors behind', () => {
    const analysis = analyze(
      makeDocument(
        [{ id: 'x', kind: 'Input', params: { shape: [4] } }, { id: 'c', kind: 'CouplingLayer', params: { hidden: 4, permute: 'reverse' } }],
        ['x.x->c.x'],
      ),
    );
    const variables = createVariables(analysis, 1);
    const x = tf.tensor([[1, 2, 3, 4]]);
    const before = tf.memory().numTensors;
    const values = runForward(analysis, { variables, feeds: { x: { x } }, batchSize: 1, training: true, random: createRandom(1) });
    // Every tensor made is one of the returned values.
    expect(tf.memory().numTensors - before).toBe(new Set([...values.values()].filter((t) => t !== x)).size);
    for (const t of values.values()) t.dispose();
    for (const v of variables.values()) v.dispose();
    x.dispose();
  });
});
