import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { invertibleConv1x1Node } from '../../src/core/nodes/invertible-conv-1x1.ts';
import { permutation } from '../../src/core/nodes/permute.ts';
import { Rng } from '../../src/core/base/random.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { flowRoundTrip } from '../../src/core/train/family-eval.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { logAbsDet } from '../flow-helpers.ts';

/** W = P·L·(U + diag(exp s)) built with plain numbers, independently of the node's tensor code. */
function weightByHand(c: number, seed: number, lower: number[], upper: number[], logScale: number[]): number[][] {
  const L = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => (i === j ? 1 : i > j ? lower[i * c + j]! : 0)));
  const U = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => (i === j ? Math.exp(logScale[i]!) : j > i ? upper[i * c + j]! : 0)));
  const LU = L.map((row) => U[0]!.map((_, j) => row.reduce((sum, v, k) => sum + v * U[k]![j]!, 0)));
  const order = permutation(c, 'random', seed);
  // (P·A)[i] = A[order[i]]: P[i, order[i]] = 1.
  return order.map((from) => LU[from]!);
}

describe('InvertibleConv1x1', () => {
  it('keeps the shape and has an LU-factored C × C matrix', () => {
    const image = inferNode('InvertibleConv1x1', {}, { x: { shape: [4, 4, 3] } });
    expect([image.outputs.y?.shape, image.outputs.logdet?.shape]).toEqual([['B', 4, 4, 3], ['B']]);
    expect(image.analysis.nodes.get('n')!.paramCount).toBe(3 * 3 * 2 + 3);
    expect(inferNode('InvertibleConv1x1', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('InvertibleConv1x1', {}, { x: { shape: [3] }, logdet: { shape: [2] } }).codes).toEqual(['GC106@n.logdet']);
  });

  it('starts as a fixed permutation of the channels, volume-preserving', async () => {
    const order = permutation(4, 'random', 5);
    const x = [1, 2, 3, 4, 5, 6, 7, 8];
    const run = await runNode('InvertibleConv1x1', { seed: 5 }, { x: { shape: [2, 4], values: x }, logdet: { shape: [2], values: [0.25, -1] } });
    expectClose(run.outputs.y!.values, [0, 1].flatMap((b) => order.map((from) => x[b * 4 + from]!)));
    expectClose(run.outputs.logdet!.values, [0.25, -1]);
  });

  it('mixes channels by W at every position and adds positions · log|det W|, against plain arithmetic', async () => {
    const c = 3;
    const rng = new Rng(9);
    const lower = Array.from({ length: c * c }, () => rng.normal() * 0.5);
    const upper = Array.from({ length: c * c }, () => rng.normal() * 0.5);
    const logScale = Array.from({ length: c }, () => rng.normal() * 0.3);
    const W = weightByHand(c, 1, lower, upper, logScale);
    const x = Array.from({ length: 2 * 2 * 2 * c }, () => rng.normal());
    const run = await runNode('InvertibleConv1x1', { seed: 1 }, { x: { shape: [2, 2, 2, c], values: x } }, { lower, upper, logScale });
    const expected = [];
    for (let p = 0; p < 8; p++) for (let i = 0; i < c; i++) expected.push(W[i]!.reduce((sum, w, j) => sum + w * x[p * c + j]!, 0));
    expectClose(run.outputs.y!.values, expected, 1e-5);
    // 4 positions per example; log|det W| from elimination equals Σ logScale.
    expect(logAbsDet(W)).toBeCloseTo(logScale.reduce((a, b) => a + b, 0), 10);
    expectClose(run.outputs.logdet!.values, [4 * logAbsDet(W), 4 * logAbsDet(W)], 1e-5);
  });

  it('inverts exactly, without a matrix inverse op', () => {
    for (const c of [2, 5, 16]) {
      const rng = new Rng(c);
      const vars = {
        lower: tf.tensor2d(Array.from({ length: c * c }, () => rng.normal() * 0.3), [c, c]),
        upper: tf.tensor2d(Array.from({ length: c * c }, () => rng.normal() * 0.3), [c, c]),
        logScale: tf.tensor1d(Array.from({ length: c }, () => rng.normal() * 0.3)),
      };
      const x = tf.randomNormal([3, 2, 2, c], 0, 1, 'float32', c);
      const { y } = invertibleConv1x1Node.forward!({ params: { seed: c }, inputs: { x }, vars } as never);
      const back = invertibleConv1x1Node.invertible!.inverse({ params: { seed: c }, outputs: { y: y! }, inputs: {}, inputShapes: { x: x.shape }, vars }).x!;
      expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0], `C = ${c}`).toBeLessThan(1e-4);
      tf.dispose([x, y!, back, ...Object.values(vars)]);
    }
  });

  it('in a RealNVP chain, trains and samples backwards through it', async () => {
    const loaded = loadText(readFileSync('graph-presets/flow.json', 'utf8'));
    if (!loaded.ok) throw new Error('flow does not load');
    const doc = structuredClone(loaded.document);
    doc.nodes.push({ id: 'mix', kind: 'InvertibleConv1x1', params: { seed: 1 }, position: { x: 0, y: 0 } });
    // coupling2 → mix → coupling3, the log-determinant through it.
    for (const edge of doc.edges.filter((e) => e.source.node === 'coupling2')) edge.target = { node: 'mix', port: edge.source.port === 'y' ? 'x' : 'logdet' };
    doc.edges.push(
      { id: 'mix_y', source: { node: 'mix', port: 'y' }, target: { node: 'coupling3', port: 'x' } },
      { id: 'mix_logdet', source: { node: 'mix', port: 'logdet' }, target: { node: 'coupling3', port: 'logdet' } },
    );
    const compiled = compile(doc);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!compiled.ok) return;
    const sources = await openProgramData(compiled.program, readPublicAsset);
    const session = new TrainingSession(compiled.program, streamBatches(sources), 64);
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) {
      session.trainStep();
      losses.push((await session.readLosses()).objectives.main!.total);
    }
    expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses.slice(0, 5).reduce((a, b) => a + b) / 5);
    const mixed = [...session.variables.keys()].filter((k) => k.startsWith('mix/'));
    expect(mixed.sort()).toEqual(['mix/logScale', 'mix/lower', 'mix/upper']);
    const error = await flowRoundTrip(session, (op, start, count) => sources.get(op.id)!.validationBatch(start, count), 200);
    expect(error).toBeLessThan(1e-4);
    session.dispose();
  });
});
