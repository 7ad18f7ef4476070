import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { nameRecord } from '../../src/core/base/names.ts';
import { createRandom } from '../../src/core/base/random.ts';
import type { RecurrentState } from '../../src/core/nodes/types.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { expectClose, inferNode, makeDocument, runNode } from '../helpers.ts';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('LSTM and GRU shapes', () => {
  it('return every hidden state or the last, and the final state', () => {
    const lstm = inferNode('LSTM', { units: 5 }, { x: { shape: [7, 3] } });
    expect(lstm.codes).toEqual([]);
    expect(lstm.outputs.y?.shape).toEqual(['B', 7, 5]);
    expect(lstm.outputs.h?.shape).toEqual(['B', 5]);
    expect(lstm.outputs.c?.shape).toEqual(['B', 5]);
    // PyTorch's count: 4 gates × (inputs + units) weights and two biases of 4 × units.
    expect(lstm.analysis.nodes.get('n')!.paramCount).toBe(4 * 5 * (3 + 5) + 2 * 4 * 5);
    const gru = inferNode('GRU', { units: 4, returnSequences: false }, { x: { shape: [6, 2] } });
    expect(gru.outputs.y?.shape).toEqual(['B', 4]);
    expect(gru.outputs.h?.shape).toEqual(['B', 4]);
    expect(gru.outputs.c).toBeUndefined();
    expect(gru.analysis.nodes.get('n')!.paramCount).toBe(3 * 4 * (2 + 4) + 2 * 3 * 4);
  });

  it('counts the gates it keeps at every position in the training memory estimate', () => {
    // Outputs alone: y [T, units] plus h and c. The unrolled loop keeps about 8 gate-sized tensors per position.
    const { analysis } = inferNode('LSTM', { units: 10 }, { x: { shape: [7, 3] } });
    const info = analysis.nodes.get('n')!;
    expect(info.activationElements).toBe(7 * 10 + 10 + 10 + 7 * 8 * 4 * 10);
    const gru = inferNode('GRU', { units: 10 }, { x: { shape: [7, 3] } }).analysis.nodes.get('n')!;
    expect(gru.activationElements).toBe(7 * 10 + 10 + 7 * 8 * 3 * 10);
  });

  it('refuses inputs that are not sequences, initial states of the wrong size and bad params', () => {
    expect(inferNode('LSTM', {}, { x: { shape: [8] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('GRU', {}, { x: { shape: [2, 3, 4] } }).codes).toEqual(['GC106@n.x']);
    const wrongState = inferNode('LSTM', { units: 4 }, { x: { shape: [5, 3] }, c0: { shape: [3] } });
    expect(wrongState.codes).toEqual(['GC106@n.c0']);
    expect(wrongState.analysis.diagnostics[0]!.message).toContain("[B, 4] (the layer's units)");
    expect(inferNode('GRU', { units: 0 }, { x: { shape: [5, 3] } }).codes).toEqual(['GC107@n']);
  });
});

describe('LSTM', () => {
  it('computes gates, cell and hidden state by hand', async () => {
    // One unit, one feature, two positions; gates (i, f, g, o) in PyTorch's order.
    const W = [0.5, -0.3, 0.8, 0.2];
    const R = [0.1, 0.4, -0.6, 0.3];
    const b = [0.05, 0.2, -0.1, 0.0];
    const bR = [0.0, 0.1, 0.05, -0.2];
    const xs = [1.5, -0.7];
    let h = 0.25; // h0
    let c = -0.5; // c0
    const hs: number[] = [];
    for (const x of xs) {
      const pre = [0, 1, 2, 3].map((k) => x * W[k]! + b[k]! + h * R[k]! + bR[k]!);
      const [i, f, g, o] = [sigmoid(pre[0]!), sigmoid(pre[1]!), Math.tanh(pre[2]!), sigmoid(pre[3]!)];
      c = f * c + i * g;
      h = o * Math.tanh(c);
      hs.push(h);
    }
    const run = await runNode(
      'LSTM',
      { units: 1 },
      { x: { shape: [1, 2, 1], values: xs }, h0: { shape: [1, 1], values: [0.25] }, c0: { shape: [1, 1], values: [-0.5] } },
      { kernel: W, recurrentKernel: R, bias: b, recurrentBias: bR },
    );
    expectClose(run.outputs.y!.values, hs, 1e-5);
    expectClose(run.outputs.h!.values, [h], 1e-5);
    expectClose(run.outputs.c!.values, [c], 1e-5);
  });

  it('starts from zeros when h0 and c0 are unconnected, and the last state is y without returnSequences', async () => {
    const values = [0.3, -1, 2, 0.5, 0.1, -0.4];
    const all = await runNode('LSTM', { units: 3 }, { x: { shape: [1, 3, 2], values } });
    const zeros = await runNode('LSTM', { units: 3 }, { x: { shape: [1, 3, 2], values }, h0: { shape: [1, 3], values: [0, 0, 0] }, c0: { shape: [1, 3], values: [0, 0, 0] } });
    expectClose(all.outputs.y!.values, zeros.outputs.y!.values);
    const last = await runNode('LSTM', { units: 3, returnSequences: false }, { x: { shape: [1, 3, 2], values } });
    expectClose(last.outputs.y!.values, all.outputs.y!.values.slice(6));
    expectClose(last.outputs.h!.values, all.outputs.y!.values.slice(6));
  });
});

describe('GRU', () => {
  it('computes reset, update and new gates by hand, the recurrent bias of n inside the reset product', async () => {
    const W = [0.7, -0.4, 0.9];
    const R = [-0.2, 0.5, 0.6];
    const b = [0.1, -0.1, 0.2];
    const bR = [0.05, 0.3, -0.4];
    const xs = [0.8, -1.2, 0.4];
    let h = -0.3;
    const hs: number[] = [];
    for (const x of xs) {
      const r = sigmoid(x * W[0]! + b[0]! + h * R[0]! + bR[0]!);
      const z = sigmoid(x * W[1]! + b[1]! + h * R[1]! + bR[1]!);
      const n = Math.tanh(x * W[2]! + b[2]! + r * (h * R[2]! + bR[2]!));
      h = (1 - z) * n + z * h;
      hs.push(h);
    }
    const run = await runNode(
      'GRU',
      { units: 1 },
      { x: { shape: [1, 3, 1], values: xs }, h0: { shape: [1, 1], values: [-0.3] } },
      { kernel: W, recurrentKernel: R, bias: b, recurrentBias: bR },
    );
    expectClose(run.outputs.y!.values, hs, 1e-5);
    expectClose(run.outputs.h!.values, [h], 1e-5);
  });
});

describe('recurrent state carried between runs', () => {
  for (const kind of ['LSTM', 'GRU']) {
    it(`${kind}: one position at a time with the state carried equals the whole sequence`, async () => {
      const doc = makeDocument(
        [
          { id: 'in', kind: 'Input', params: { shape: [4, 3] } },
          { id: 'n', kind, params: { units: 5 } },
          { id: 'out', kind: 'Dense', params: { units: 2 } },
        ],
        ['in.x->n.x', 'n.y->out.x'],
      );
      const analysis = analyze(doc);
      expect(analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const variables = createVariables(analysis, 3);
      const x = createRandom(5).normal([2, 4, 3]);
      const options = { variables, feeds: {}, batchSize: 2, training: false, random: createRandom(1) };
      const yKey = analysis.nodes.get('out')!.outputKeys.y!;
      const xKey = analysis.nodes.get('in')!.outputKeys.x!;
      const ops = analysis.ops.filter((op) => op.id !== 'in');
      const whole = runOps(ops, analysis, options, new Map([[xKey, x]])).get(yKey)!;
      const state: RecurrentState = nameRecord();
      const steps: tf.Tensor[] = [];
      for (let t = 0; t < 4; t++) {
        const column = tf.slice(x, [0, t, 0], [2, 1, 3]);
        steps.push(runOps(ops, analysis, { ...options, recurrentState: state }, new Map([[xKey, column]])).get(yKey)!);
      }
      expect(Object.keys(state)).toEqual(['n']);
      expect(Object.keys(state.n!).sort()).toEqual(kind === 'LSTM' ? ['c0', 'h0'] : ['h0']);
      expectClose(Array.from(await tf.concat(steps, 1).data()), Array.from(await whole.data()), 1e-5);
      // Without the carried state, a later position would restart from zeros.
      const fresh = runOps(ops, analysis, options, new Map([[xKey, tf.slice(x, [0, 3, 0], [2, 1, 3])]])).get(yKey)!;
      expect(Math.max(...Array.from(await tf.abs(tf.sub(fresh, steps[3]!)).data()))).toBeGreaterThan(1e-3);
    });
  }
});
