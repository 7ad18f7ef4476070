/** ScaleShift as a flow step: its inverse, its log-determinant (by hand and by finite differences), and scale 0 refused where it would be inverted. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { scaleShiftNode } from '../../src/core/nodes/scale-shift.ts';
import { flowRoundTrip } from '../../src/core/train/family-eval.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { expectClose, inferNode, makeDocument, runNode } from '../helpers.ts';
import { logAbsDet } from '../flow-helpers.ts';

type Params = { scale: number; shift: number };

function forward(params: Params, x: tf.Tensor, logdet?: tf.Tensor) {
  return scaleShiftNode.forward!({ params, inputs: logdet ? { x, logdet } : { x }, vars: {}, outputShapes: {}, batchSize: x.shape[0]!, training: false, random: undefined as never, feeds: {} });
}

describe('ScaleShift', () => {
  it('keeps the shape and threads a per-example log-determinant', () => {
    const run = inferNode('ScaleShift', { scale: 2 }, { x: { shape: [4, 4, 2] }, logdet: { shape: [] } });
    expect([run.outputs.y?.shape, run.outputs.logdet?.shape]).toEqual([['B', 4, 4, 2], ['B']]);
    expect(inferNode('ScaleShift', { scale: 2 }, { x: { shape: [3] }, logdet: { shape: [2] } }).codes).toEqual(['GC106@n.logdet']);
  });

  it('refuses scale 0 in a flow (a threaded log-determinant), and allows it elsewhere', () => {
    const refused = inferNode('ScaleShift', { scale: 0 }, { x: { shape: [3] }, logdet: { shape: [] } });
    expect(refused.codes).toEqual(['GC107@n']);
    expect(refused.analysis.diagnostics[0]!.message).toMatch(/scale 0 .*no inverse/);
    expect(inferNode('ScaleShift', { scale: 0, shift: 1 }, { x: { shape: [3] } }).codes).toEqual([]);
  });

  it('adds (elements per example) · log|scale| to the log-determinant, by hand', async () => {
    // [2, 2, 2, 1]: 4 elements per example; |−2| → 4 · ln 2 added to [0.5, −1].
    const x = [1, 2, 3, 4, -1, -2, -3, -4];
    const run = await runNode('ScaleShift', { scale: -2, shift: 0.25 }, { x: { shape: [2, 2, 2, 1], values: x }, logdet: { shape: [2], values: [0.5, -1] } });
    expectClose(run.outputs.y!.values, x.map((v) => v * -2 + 0.25));
    expectClose(run.outputs.logdet!.values, [0.5 + 4 * Math.LN2, -1 + 4 * Math.LN2]);
    // Unthreaded, it starts from zero; adding a constant (scale 1) has log|det| = 0.
    const alone = await runNode('ScaleShift', { scale: 0.5 }, { x: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] } });
    expectClose(alone.outputs.logdet!.values, [3 * Math.log(0.5), 3 * Math.log(0.5)]);
    const constant = await runNode('ScaleShift', { shift: -0.5 }, { x: { shape: [1, 3], values: [1, 2, 3] }, logdet: { shape: [1], values: [7] } });
    expectClose(constant.outputs.y!.values, [0.5, 1.5, 2.5]);
    expectClose(constant.outputs.logdet!.values, [7]);
  });

  it('has the log-determinant of its Jacobian measured by finite differences', () => {
    const params = { scale: -1.7, shift: 0.3 };
    const d = 6;
    const base = Array.from({ length: d }, (_, i) => Math.sin(i + 1));
    const h = 1e-2;
    const at = (values: number[]) => {
      const x = tf.tensor2d(values, [1, d]);
      const { y, logdet } = forward(params, x);
      const out = { y: Array.from(y!.dataSync()), logdet: logdet!.dataSync()[0]! };
      tf.dispose([x, y!, logdet!]);
      return out;
    };
    // Column j of J: (f(x + h e_j) − f(x − h e_j)) / 2h.
    const columns = base.map((_, j) => {
      const plus = at(base.map((v, i) => (i === j ? v + h : v))).y;
      const minus = at(base.map((v, i) => (i === j ? v - h : v))).y;
      return plus.map((p, i) => (p - minus[i]!) / (2 * h));
    });
    const jacobian = base.map((_, i) => columns.map((column) => column[i]!));
    expect(at(base).logdet).toBeCloseTo(logAbsDet(jacobian), 3);
  });

  it('inverts: (y − shift) / scale gives x back', () => {
    const x = tf.randomNormal([3, 2, 2, 2], 0, 3, 'float32', 5);
    for (const params of [{ scale: 2.5, shift: -1 }, { scale: -0.01, shift: 4 }, { scale: 1, shift: 0.5 }, { scale: 1, shift: 0 }]) {
      const { y, logdet } = forward(params, x);
      const back = scaleShiftNode.invertible!.inverse({ params, outputs: { y: y! }, inputs: {}, inputShapes: { x: x.shape }, vars: {} }).x!;
      expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0], JSON.stringify(params)).toBeLessThan(1e-4);
      tf.dispose([y!, logdet!, back]);
    }
    x.dispose();
  });

  it('is refused by a flow sampler that would run backwards through scale 0', () => {
    const doc = makeDocument(
      [
        { id: 'in', kind: 'Input', params: { shape: [2] } },
        { id: 'zero', kind: 'ScaleShift', params: { scale: 0, shift: 1 } },
        { id: 'sampler', kind: 'FlowInverseSampler', params: {} },
      ],
      ['in.x->zero.x', 'zero.y->sampler.latent'],
    );
    const compiled = compile(doc);
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['GC205']);
    expect(errors[0]!.message).toMatch(/zero cannot be run backwards: scale 0/);
  });

  it('in a RealNVP chain with its log-determinant threaded, trains and samples backwards through it', async () => {
    const loaded = loadText(readFileSync('graph-presets/flow.json', 'utf8'));
    if (!loaded.ok) throw new Error('flow does not load');
    const doc: GraphDocument = structuredClone(loaded.document);
    doc.nodes.push({ id: 'scale', kind: 'ScaleShift', params: { scale: -3, shift: 0.5 }, position: { x: 0, y: 0 } });
    // coupling2 → scale → coupling3, the log-determinant through it.
    for (const edge of doc.edges.filter((e) => e.source.node === 'coupling2')) edge.target = { node: 'scale', port: edge.source.port === 'y' ? 'x' : 'logdet' };
    doc.edges.push(
      { id: 'scale_y', source: { node: 'scale', port: 'y' }, target: { node: 'coupling3', port: 'x' } },
      { id: 'scale_logdet', source: { node: 'scale', port: 'logdet' }, target: { node: 'coupling3', port: 'logdet' } },
    );
    const compiled = compile(doc);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!compiled.ok) return;
    const sources = await openProgramData(compiled.program, readPublicAsset);
    const session = new TrainingSession(compiled.program, streamBatches(sources), 64);
    session.trainStep();
    const error = await flowRoundTrip(session, (op, start, count) => sources.get(op.id)!.validationBatch(start, count), 200);
    expect(error).toBeLessThan(1e-4);
    session.dispose();
  });
});
