import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { diffuseNode } from '../../src/core/nodes/diffuse.ts';
import type { RandomSource } from '../../src/core/nodes/types.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { codes, expectClose, inferNode, makeDocument } from '../helpers.ts';
import { runGraph } from '../flow-helpers.ts';

const schedule = { id: 'sched', kind: 'NoiseSchedule', params: { steps: 3, betaStart: 0.1, betaEnd: 0.3 } };

/** Hands out fixed steps and noise, and records what was asked for. */
function fixedRandom(t: number[], noise: number[]) {
  const asked: string[] = [];
  const random: RandomSource = {
    normal: (shape) => (asked.push(`normal ${shape.join('x')}`), tf.tensor(noise, [...shape])),
    uniform: () => {
      throw new Error('not used');
    },
    integers: (shape, max) => (asked.push(`integers ${shape.join('x')} < ${max}`), tf.tensor(t, [...shape], 'int32')),
  };
  return { random, asked };
}

describe('Diffuse', () => {
  it('outputs x_t and eps shaped like x_0, and a step per example', () => {
    const doc = (x: number[]) =>
      analyze(makeDocument([{ id: 'x', kind: 'Input', params: { shape: x } }, schedule, { id: 'n', kind: 'Diffuse' }], ['x.x->n.x0', 'sched.schedule->n.schedule']));
    const flat = doc([2]).nodes.get('n')!.outputs;
    expect([flat.xt?.shape, flat.t?.shape, flat.t?.type, flat.noise?.shape]).toEqual([['B', 2], ['B'], 'tokens', ['B', 2]]);
    expect(doc([8, 8, 1]).nodes.get('n')!.outputs.xt?.shape).toEqual(['B', 8, 8, 1]);
    expect(codes(doc([]))).toEqual(['GC106@n.x0', 'GC202@']);
  });

  it('needs a schedule', () => {
    expect(inferNode('Diffuse', {}, { x0: { shape: [2] } }).codes).toEqual(['GC102@n.schedule']);
    // A tensor is not a schedule.
    expect(inferNode('Diffuse', {}, { x0: { shape: [2] }, schedule: { shape: [3] } }).codes).toContain('GC110@n.schedule');
  });

  it('noises each example to its own step, by hand', () => {
    // alphaBar = 0.9, 0.72, 0.504. Example 0 at t = 0: sqrt(0.9)·[1, 2] + sqrt(0.1)·[0.5, −1];
    // example 1 at t = 2: sqrt(0.504)·[3, 4] + sqrt(0.496)·[1, 0].
    const { random, asked } = fixedRandom([0, 2], [0.5, -1, 1, 0]);
    const run = runGraph(
      [{ id: 'x', kind: 'Input', params: { shape: [2] } }, schedule, { id: 'n', kind: 'Diffuse' }],
      ['x.x->n.x0', 'sched.schedule->n.schedule'],
      { x: { shape: [2, 2], values: [1, 2, 3, 4] } },
      { random },
    );
    const s = Math.sqrt;
    expectClose(run.out('n.xt').values, [s(0.9) + s(0.1) * 0.5, 2 * s(0.9) - s(0.1), 3 * s(0.504) + s(0.496), 4 * s(0.504)]);
    expect(run.out('n.t').values).toEqual([0, 2]);
    expectClose(run.out('n.noise').values, [0.5, -1, 1, 0]);
    expect(asked).toEqual(['integers 2 < 3', 'normal 2x2']);
    run.dispose();
  });

  it('lets gradients reach x_0', () => {
    const { random } = fixedRandom([1], [0.3, 0.3]);
    const sched = tf.tensor([[0.1, 0.9, 0.9], [0.2, 0.8, 0.72]]);
    const x0 = tf.tensor([[1, 2]]);
    const grad = tf.grad((x: tf.Tensor) => {
      const { xt } = diffuseForward(x, sched, random);
      return tf.sum(xt!);
    })(x0);
    // d xt / d x0 = sqrt(alphaBar_1) = sqrt(0.72)
    expectClose(Array.from(grad.dataSync()), [Math.sqrt(0.72), Math.sqrt(0.72)]);
  });
});

function diffuseForward(x0: tf.Tensor, schedule: tf.Tensor, random: RandomSource) {
  return diffuseNode.forward!({ params: {}, inputs: { x0, schedule }, vars: {}, outputShapes: {}, batchSize: 1, training: true, random, feeds: {} });
}
