import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Softmax', () => {
  it('keeps the shape', () => {
    expect(inferNode('Softmax', {}, { x: { shape: [2, 3, 3] } }).outputs.y?.shape).toEqual(['B', 2, 3, 3]);
    expect(inferNode('Softmax', { axis: 1 }, { x: { shape: [4, 5] } }).outputs.y?.shape).toEqual(['B', 4, 5]);
  });

  it('rejects the batch axis, a missing axis and an out-of-range param', () => {
    expect(inferNode('Softmax', { axis: 0 }, { x: { shape: [3] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Softmax', { axis: -2 }, { x: { shape: [3] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Softmax', { axis: 3 }, { x: { shape: [3, 3] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Softmax', { axis: 9 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('normalises the last axis, by hand', async () => {
    // exp([0, ln 2, ln 3]) = [1, 2, 3], so softmax = [1, 2, 3] / 6.
    const run = await runNode('Softmax', {}, { x: { shape: [1, 3], values: [0, Math.log(2), Math.log(3)] } });
    expectClose(run.outputs.y!.values, [1 / 6, 2 / 6, 3 / 6]);
  });

  it('normalises an inner axis', async () => {
    // [B, 2, 2] with axis 1: column 0 is [0, ln 3] -> [1/4, 3/4]; column 1 is [0, 0] -> [1/2, 1/2].
    const run = await runNode('Softmax', { axis: 1 }, { x: { shape: [1, 2, 2], values: [0, 0, Math.log(3), 0] } });
    expectClose(run.outputs.y!.values, [0.25, 0.5, 0.75, 0.5]);
  });
});
