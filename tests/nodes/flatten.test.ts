import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Flatten', () => {
  it('multiplies out every axis after the batch', () => {
    expect(inferNode('Flatten', {}, { x: { shape: [28, 28, 1] } }).outputs.y?.shape).toEqual(['B', 784]);
    expect(inferNode('Flatten', {}, { x: { shape: [3, 5] } }).outputs.y?.shape).toEqual(['B', 15]);
    expect(inferNode('Flatten', {}, { x: { shape: [7] } }).outputs.y?.shape).toEqual(['B', 7]);
  });

  it('rejects a bare batch and unknown params', () => {
    expect(inferNode('Flatten', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Flatten', { axis: 1 }, { x: { shape: [2, 2] } }).codes).toEqual(['GC107@n']);
  });

  it('keeps the row-major order of each example', async () => {
    // Two examples of [2, 1, 2]: each becomes its four values in order.
    const run = await runNode('Flatten', {}, { x: { shape: [2, 2, 1, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] } });
    expect(run.outputs.y!.shape).toEqual([2, 4]);
    expectClose(run.outputs.y!.values, [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
