import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/core/train/gradients.ts';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { stopGradientNode } from '../../src/core/nodes/stop-gradient.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { expectClose, inferNode, makeDocument, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

/**
 * Input → Dense `before` → (`between`, if any) → Dense `after` → MSE against a target;
 * the loss's gradient for every variable, by key.
 */
function lossGradients(between: 'StopGradient' | 'none'): Record<string, number[]> {
  const nodes = [
    { id: 'x', kind: 'Input', params: { shape: [3] } },
    { id: 'target', kind: 'Input', params: { shape: [2] } },
    { id: 'before', kind: 'Dense', params: { units: 4, activation: 'tanh' } },
    ...(between === 'none' ? [] : [{ id: 'between', kind: between }]),
    { id: 'after', kind: 'Dense', params: { units: 2 } },
    { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
  ];
  const edges = ['x.x->before.x', ...(between === 'none' ? ['before.y->after.x'] : ['before.y->between.x', 'between.y->after.x']), 'after.y->loss.prediction', 'target.x->loss.target'];
  const analysis = analyze(makeDocument(nodes, edges));
  expect(analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const variables = createVariables(analysis, 4);
  const feeds = { x: { x: tf.tensor([[1, -2, 0.5], [0.3, 0.7, -1]]) }, target: { x: tf.tensor([[1, 0], [0, 1]]) } };
  const { value, grads } = tf.variableGrads(() => {
    const values = runForward(analysis, { variables, feeds, batchSize: 2, training: true, random: createRandom(1) });
    return values.get(analysis.nodes.get('loss')!.outputKeys.loss!)! as tf.Scalar;
  }, [...variables.values()]);
  const keys = new Map([...variables.entries()].map(([key, v]) => [v.name, key]));
  const out = Object.fromEntries(Object.entries(grads).map(([name, g]) => [keys.get(name)!, Array.from(g.dataSync())]));
  tf.dispose([value, ...Object.values(grads), ...variables.values(), ...Object.values(feeds).map((f) => f.x)]);
  return out;
}

const nonZero = (values: number[] | undefined) => (values ?? []).some((v) => v !== 0);

describe('StopGradient', () => {
  it('keeps the shape of any tensor', () => {
    expect(inferNode('StopGradient', {}, { x: { shape: [4, 4, 3] } }).outputs.y?.shape).toEqual(['B', 4, 4, 3]);
    expect(inferNode('StopGradient', {}, {}).codes).toEqual(['GC102@n.x']);
    expect(inferNode('StopGradient', { rate: 1 }, { x: { shape: [2] } }).codes).toEqual(['GC107@n']);
  });

  it('passes values on unchanged', async () => {
    const run = await runNode('StopGradient', {}, { x: { shape: [2, 3], values: [1, -2, 3.5, 0, 1e-7, -4] } });
    expect(run.outputs.y).toEqual({ shape: [2, 3], values: [1, -2, 3.5, 0, 1e-7, -4].map(Math.fround) });
  });

  it('sends back a zero gradient', () => {
    const g = gradientsOf(stopGradientNode, {}, { x: tf.tensor([[1, 2, 3]]) }, {}, { weights: tf.tensor([[5, -1, 2]]) });
    expect(g['in:x']).toEqual([0, 0, 0]);
  });

  it('leaves the weights before it untrained by a loss after it', () => {
    const stopped = lossGradients('StopGradient');
    expect(Object.keys(stopped).sort()).toEqual(['after/bias', 'after/kernel', 'before/bias', 'before/kernel']);
    expect(stopped['before/kernel']!.every((v) => v === 0)).toBe(true);
    expect(stopped['before/bias']!.every((v) => v === 0)).toBe(true);
    // The layer after it still learns, exactly as without the stop.
    const open = lossGradients('none');
    expect(nonZero(open['before/kernel'])).toBe(true);
    expectClose(stopped['after/kernel']!, open['after/kernel']!);
    expectClose(stopped['after/bias']!, open['after/bias']!);
  });
});
