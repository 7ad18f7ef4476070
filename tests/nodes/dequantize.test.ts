/** Dequantize: levels to bins, the log-determinant that makes Flow NLL a bound on the discrete likelihood, and its inverse. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dequantizeNode } from '../../src/core/nodes/dequantize.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { runGraph } from '../flow-helpers.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

type Params = { bins: number; range: 'unit' | 'signed' };

function forward(params: Params, x: tf.Tensor, training: boolean, seed = 3) {
  return dequantizeNode.forward!({ params, inputs: { x }, vars: {}, outputShapes: {}, batchSize: x.shape[0]!, training, random: createRandom(seed), feeds: {} });
}

/** ∫ N(y; 0, 1) dy over [a, b] by Simpson's rule. */
function normalMass(a: number, b: number): number {
  const n = 1000;
  const h = (b - a) / n;
  const f = (y: number) => Math.exp(-0.5 * y * y) / Math.sqrt(2 * Math.PI);
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

describe('Dequantize', () => {
  it('keeps the shape and threads a per-example log-determinant', () => {
    const run = inferNode('Dequantize', {}, { x: { shape: [28, 28, 1] } });
    expect([run.outputs.y?.shape, run.outputs.logdet?.shape]).toEqual([['B', 28, 28, 1], ['B']]);
    expect(inferNode('Dequantize', {}, { x: { shape: [3] }, logdet: { shape: [3] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('Dequantize', { bins: 1 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('adds D · log(width / bins) to the log-determinant, by hand', async () => {
    // 3 dimensions of 256 levels in [0, 1]: log|det| = 3 · log(1/256); signed [−1, 1] with 4 levels: 2 · log(2/4).
    const unit = await runNode('Dequantize', {}, { x: { shape: [1, 3], values: [0, 1 / 255, 1] }, logdet: { shape: [1], values: [2] } });
    expectClose(unit.outputs.logdet!.values, [2 - 3 * Math.log(256)]);
    const signed = await runNode('Dequantize', { bins: 4, range: 'signed' }, { x: { shape: [2, 2], values: [-1, -1 / 3, 1 / 3, 1] } });
    expectClose(signed.outputs.logdet!.values, [2 * Math.log(0.5), 2 * Math.log(0.5)]);
  });

  for (const training of [true, false]) {
    it(`${training ? 'while training' : 'outside training'}, spreads each level uniformly over its own bin`, () => {
      const levels = Array.from({ length: 4000 }, (_, i) => (i * 37) % 256);
      const x = tf.tensor2d(levels.map((k) => k / 255), [4, 1000]);
      const { y, logdet } = forward({ bins: 256, range: 'unit' }, x, training);
      const values = y!.dataSync();
      const offsets = levels.map((k, i) => values[i]! * 256 - k);
      expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...offsets)).toBeLessThan(1);
      // U[0, 1): mean ½, variance 1/12, within a few standard errors for 4,000 draws.
      const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
      const variance = offsets.reduce((a, b) => a + (b - mean) ** 2, 0) / offsets.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.015);
      expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.006);
      expectClose(Array.from(logdet!.dataSync()), new Array(4).fill(1000 * Math.log(1 / 256)));
      // Outside training the draw is fixed: the same offsets on every call, whatever the random source.
      const again = forward({ bins: 256, range: 'unit' }, x, training, 4).y!;
      expect(Array.from(again.dataSync()).every((v, i) => v === values[i])).toBe(!training);
      tf.dispose([x, y!, logdet!, again]);
    });
  }

  it('inverts its evaluation map exactly, and a training draw to within a level', () => {
    for (const params of [{ bins: 256, range: 'unit' }, { bins: 5, range: 'signed' }] as const) {
      const step = (params.range === 'unit' ? 1 : 2) / (params.bins - 1);
      const low = params.range === 'unit' ? 0 : -1;
      const x = tf.tensor2d(Array.from({ length: 12 }, (_, i) => low + ((i * 7) % params.bins) * step), [3, 4]);
      for (const training of [false, true]) {
        const { y, logdet } = forward(params, x, training);
        const back = dequantizeNode.invertible!.inverse({ params, outputs: { y: y! }, inputs: {}, inputShapes: { x: x.shape }, vars: {} }).x!;
        const error = tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]!;
        if (training) expect(error).toBeLessThan(step);
        else expect(error).toBeLessThan(1e-5);
        tf.dispose([y!, logdet!, back]);
      }
      x.dispose();
    }
  });

  it('makes Flow NLL the discrete likelihood: E_u[NLL] ≈ −log P(k) under the same density', () => {
    // A standard normal fitted to y directly (no flow steps): the level k = 2 of 4 in [0, 1] has the bin
    // [0.5, 0.75), so its probability is the normal's mass there. Averaged over the noise, Flow NLL with the
    // log-determinant −log 4 is −log P(k) plus a Jensen gap that is tiny for a bin this narrow; the
    // log-determinant's sign or size wrong would be off by log 4 or more.
    const n = 4000;
    const run = runGraph(
      [
        { id: 'in', kind: 'Input', params: { shape: [1] } },
        { id: 'deq', kind: 'Dequantize', params: { bins: 4 } },
        { id: 'nll', kind: 'FlowNLL', params: {} },
      ],
      ['in.x->deq.x', 'deq.y->nll.z', 'deq.logdet->nll.logdet'],
      { in: { shape: [n, 1], values: new Array(n).fill(2 / 3) } },
    );
    const nll = run.out('nll.loss').values[0]!;
    const exact = -Math.log(normalMass(0.5, 0.75));
    expect(nll).toBeGreaterThan(exact - 0.003);
    expect(nll - exact).toBeLessThan(0.005);
    run.dispose();
  });
});
