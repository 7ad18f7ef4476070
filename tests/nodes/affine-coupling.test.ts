import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { affineCouplingNode } from '../../src/core/nodes/affine-coupling.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const LN2 = Math.log(2);

describe('AffineCoupling', () => {
  it('keeps the shape of x and outputs a per-example log-determinant', () => {
    const out = inferNode('AffineCoupling', {}, { x: { shape: [3] }, s: { shape: [3] }, t: { shape: [3] } }).outputs;
    expect([out.y?.shape, out.logdet?.shape]).toEqual([['B', 3], ['B']]);
    expect(inferNode('AffineCoupling', {}, { x: { shape: [4, 4, 2] }, s: { shape: [4, 4, 2] }, t: { shape: [4, 4, 2] } }).outputs.y?.shape).toEqual(['B', 4, 4, 2]);
  });

  it('reports mismatched or missing inputs and bad params', () => {
    expect(inferNode('AffineCoupling', {}, { x: { shape: [3] }, s: { shape: [2] }, t: { shape: [3] } }).codes).toEqual(['GC106@n.s']);
    expect(inferNode('AffineCoupling', {}, { x: { shape: [3] }, s: { shape: [3] }, t: { shape: [3, 1] } }).codes).toEqual(['GC106@n.t']);
    expect(inferNode('AffineCoupling', {}, { x: { shape: [] }, s: { shape: [] }, t: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('AffineCoupling', {}, { x: { shape: [3] }, s: { shape: [3] }, t: { shape: [3] }, logdet: { shape: [3] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('AffineCoupling', {}, { x: { shape: [3] }, s: { shape: [3] } }).codes).toEqual(['GC102@n.t']);
    expect(inferNode('AffineCoupling', { clamp: -1 }, { x: { shape: [3] }, s: { shape: [3] }, t: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('computes y = x·exp(s) + t and adds sum(s), by hand', async () => {
    // x = [1, 2], s = [0, ln 2], t = [1, -1]: y = [1·1 + 1, 2·2 − 1] = [2, 3]; logdet = 0 + ln 2.
    const inputs = { x: { shape: [1, 2], values: [1, 2] }, s: { shape: [1, 2], values: [0, LN2] }, t: { shape: [1, 2], values: [1, -1] } };
    const run = await runNode('AffineCoupling', {}, inputs);
    expectClose(run.outputs.y!.values, [2, 3]);
    expectClose(run.outputs.logdet!.values, [LN2]);
    // A chain coming in with 1.5: 1.5 + ln 2.
    const chained = await runNode('AffineCoupling', {}, { ...inputs, logdet: { shape: [1], values: [1.5] } });
    expectClose(chained.outputs.logdet!.values, [1.5 + LN2]);
  });

  it('bounds the log-scale with clamp · tanh(s / clamp)', async () => {
    // clamp 1, s_raw = [0, 1]: s = [0, tanh 1] = [0, 0.761594]; y = [1 + 1, 2·exp(0.761594) − 1] = [2, 3.283375].
    const run = await runNode('AffineCoupling', { clamp: 1 }, { x: { shape: [1, 2], values: [1, 2] }, s: { shape: [1, 2], values: [0, 1] }, t: { shape: [1, 2], values: [1, -1] } });
    expectClose(run.outputs.y!.values, [2, 3.2833753694986996]);
    expectClose(run.outputs.logdet!.values, [0.7615941559557649]);
  });

  it('sums s over every non-batch axis of an image', async () => {
    // s = 0.25 at each of 2·2·1 positions: logdet = 1 per example.
    const ones = { shape: [2, 2, 2, 1], values: new Array(8).fill(1) };
    const run = await runNode('AffineCoupling', {}, { x: ones, s: { shape: [2, 2, 2, 1], values: new Array(8).fill(0.25) }, t: { shape: [2, 2, 2, 1], values: new Array(8).fill(0) } });
    expectClose(run.outputs.logdet!.values, [1, 1]);
  });

  it('inverts: x = (y − t)·exp(−s)', async () => {
    for (const clamp of [0, 1]) {
      const x = tf.tensor([[1, 2], [-0.5, 3]]);
      const s = tf.tensor([[0.3, -2], [1.5, 0.1]]);
      const t = tf.tensor([[1, -1], [0, 2]]);
      const inverse = affineCouplingNode.invertible!.inverse;
      const forward = affineCouplingNode.forward!({ params: { clamp }, inputs: { x, s, t }, vars: {}, outputShapes: {}, batchSize: 2, training: false, random: undefined as never, feeds: {} });
      const back = inverse({ params: { clamp }, outputs: { y: forward.y! }, inputs: { s, t }, inputShapes: { x: [2, 2], s: [2, 2], t: [2, 2] }, vars: {} });
      expectClose(Array.from(await back.x!.data()), [1, 2, -0.5, 3]);
    }
  });

  it('passes gradients to s and t', () => {
    // clamp 2, at s_raw = 0: s = 0 with ds/ds_raw = 1 − tanh²(0) = 1. Of logdet + sum(y) = sum(s) + sum(x·e^s + t):
    // d/ds_raw = 1 + x = [2, 3], d/dt = 1.
    const x = tf.tensor([[1, 2]]);
    const [gs, gt] = tf.grads((s: tf.Tensor, t: tf.Tensor) => {
      const out = affineCouplingNode.forward!({ params: { clamp: 2 }, inputs: { x, s, t }, vars: {}, outputShapes: {}, batchSize: 1, training: true, random: undefined as never, feeds: {} });
      return tf.add(tf.sum(out.logdet!), tf.sum(out.y!));
    })([tf.zeros([1, 2]), tf.zeros([1, 2])]).map((g) => Array.from(g.dataSync()));
    expectClose(gs!, [2, 3]);
    expectClose(gt!, [1, 1]);
  });
});
