/** Logit: RealNVP's logit transform, its log-determinant (by hand and by finite differences) and its inverse. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { logitNode } from '../../src/core/nodes/logit.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

function forward(alpha: number, x: tf.Tensor, logdet?: tf.Tensor) {
  return logitNode.forward!({ params: { alpha }, inputs: logdet ? { x, logdet } : { x }, vars: {}, outputShapes: {}, batchSize: x.shape[0]!, training: false, random: undefined as never, feeds: {} });
}

describe('Logit', () => {
  it('keeps the shape and threads a per-example log-determinant', () => {
    const run = inferNode('Logit', {}, { x: { shape: [28, 28, 1] } });
    expect([run.outputs.y?.shape, run.outputs.logdet?.shape]).toEqual([['B', 28, 28, 1], ['B']]);
    expect(inferNode('Logit', {}, { x: { shape: [3] }, logdet: { shape: [3] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('Logit', { alpha: 0.5 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('computes logit(α + (1 − 2α)x) and its log-determinant, by hand', async () => {
    // α = 0.1: x = 0 → s = 0.1, y = ln(1/9), dy/dx = 0.8 / 0.09; x = 0.5 → s = 0.5, y = 0, dy/dx = 0.8 / 0.25.
    const run = await runNode('Logit', { alpha: 0.1 }, { x: { shape: [1, 2], values: [0, 0.5] }, logdet: { shape: [1], values: [1] } });
    expectClose(run.outputs.y!.values, [Math.log(1 / 9), 0]);
    expectClose(run.outputs.logdet!.values, [1 + Math.log(0.8 / 0.09) + Math.log(0.8 / 0.25)]);
  });

  it('has the log-determinant of its Jacobian measured by finite differences', () => {
    const alpha = 0.05;
    const values = [0.001, 0.2, 0.5, 0.77, 0.999];
    const h = 1e-3;
    const y = (v: number[]) => {
      const x = tf.tensor2d(v, [1, v.length]);
      const out = forward(alpha, x);
      const result = { y: Array.from(out.y!.dataSync()), logdet: out.logdet!.dataSync()[0]! };
      tf.dispose([x, out.y!, out.logdet!]);
      return result;
    };
    // Elementwise, so J is diagonal: log|det J| = Σ log(dy_i/dx_i), each by a central difference.
    const slopes = values.map((_, i) => {
      const plus = y(values.map((w, j) => (j === i ? w + h : w))).y[i]!;
      const minus = y(values.map((w, j) => (j === i ? w - h : w))).y[i]!;
      return (plus - minus) / (2 * h);
    });
    expect(y(values).logdet).toBeCloseTo(slopes.reduce((sum, d) => sum + Math.log(d), 0), 2);
  });

  it('inverts: (sigmoid(y) − α) / (1 − 2α) gives x back', () => {
    const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i / 15), [2, 2, 2, 2]);
    for (const alpha of [1e-6, 0.05, 0.3]) {
      const { y, logdet } = forward(alpha, x);
      const back = logitNode.invertible!.inverse({ params: { alpha }, outputs: { y: y! }, inputs: {}, inputShapes: { x: x.shape }, vars: {} }).x!;
      expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0], `α ${alpha}`).toBeLessThan(1e-5);
      tf.dispose([y!, logdet!, back]);
    }
    x.dispose();
  });
});
