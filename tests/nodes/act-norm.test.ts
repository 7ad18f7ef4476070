import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { actNormNode } from '../../src/core/nodes/act-norm.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const LN2 = Math.log(2);

describe('ActNorm', () => {
  it('keeps the shape and has a scale and a bias per channel', () => {
    const flat = inferNode('ActNorm', {}, { x: { shape: [3] } });
    expect([flat.outputs.y?.shape, flat.outputs.logdet?.shape]).toEqual([['B', 3], ['B']]);
    expect(flat.analysis.nodes.get('n')!.paramCount).toBe(6);
    const image = inferNode('ActNorm', {}, { x: { shape: [4, 4, 2] } });
    expect(image.outputs.y?.shape).toEqual(['B', 4, 4, 2]);
    expect(image.analysis.nodes.get('n')!.paramCount).toBe(4);
  });

  it('reports bad inputs', () => {
    expect(inferNode('ActNorm', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('ActNorm', {}, { x: { shape: [3] }, logdet: { shape: [1] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('ActNorm', { eps: 1 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('starts as the identity', async () => {
    const run = await runNode('ActNorm', {}, { x: { shape: [1, 2], values: [1, -2] } });
    expectClose(run.outputs.y!.values, [1, -2]);
    expectClose(run.outputs.logdet!.values, [0]);
  });

  it('computes (x + bias)·exp(logScale) and its log-determinant, by hand', async () => {
    // bias = [1, −1], logScale = [ln 2, 0]: [[1, 2], [3, 4]] → [[(1+1)·2, 2−1], [(3+1)·2, 4−1]] = [[4, 1], [8, 3]];
    // logdet = 0.5 + (ln 2 + 0) per example.
    const run = await runNode('ActNorm', {}, { x: { shape: [2, 2], values: [1, 2, 3, 4] }, logdet: { shape: [2], values: [0.5, 0.5] } }, { bias: [1, -1], logScale: [LN2, 0] });
    expectClose(run.outputs.y!.values, [4, 1, 8, 3]);
    expectClose(run.outputs.logdet!.values, [0.5 + LN2, 0.5 + LN2]);
  });

  it('counts every position of an image in the log-determinant', async () => {
    // [1, 2, 2, 1] with logScale 0.5: 4 positions · 0.5 = 2; y = (x + 0.1)·e^0.5.
    const x = [1, 2, 3, 4];
    const run = await runNode('ActNorm', {}, { x: { shape: [1, 2, 2, 1], values: x } }, { bias: [0.1], logScale: [0.5] });
    expectClose(run.outputs.logdet!.values, [2]);
    expectClose(run.outputs.y!.values, x.map((v) => (v + 0.1) * Math.exp(0.5)));
  });

  it('inverts', async () => {
    const vars = { logScale: tf.tensor([0.3, -1.2]), bias: tf.tensor([0.5, -2]) };
    const x = tf.tensor([[1, 2], [-3, 0.25]]);
    const { y } = actNormNode.forward!({ params: {}, inputs: { x }, vars, outputShapes: {}, batchSize: 2, training: false, random: undefined as never, feeds: {} });
    const back = actNormNode.invertible!.inverse({ params: {}, outputs: { y: y! }, inputs: {}, inputShapes: { x: [2, 2] }, vars });
    expectClose(Array.from(await back.x!.data()), [1, 2, -3, 0.25]);
  });

  it('passes gradients to its variables', () => {
    // x = 1 everywhere, 2 examples of 4 positions. logdet = 4 · sum(logScale) per example, so
    // d sum(logdet)/d logScale_c = 8; y = (1 + bias)·exp(logScale), so d sum(y)/d logScale_c = d sum(y)/d bias_c = 8.
    const x = tf.ones([2, 2, 2, 2]);
    const grads = tf.grads((logScale: tf.Tensor, bias: tf.Tensor) => {
      const out = actNormNode.forward!({ params: {}, inputs: { x }, vars: { logScale, bias }, outputShapes: {}, batchSize: 2, training: true, random: undefined as never, feeds: {} });
      return tf.add(tf.sum(out.logdet!), tf.sum(out.y!));
    })([tf.zeros([2]), tf.zeros([2])]);
    expectClose(Array.from(grads[0]!.dataSync()), [16, 16]);
    expectClose(Array.from(grads[1]!.dataSync()), [8, 8]);
  });
});
