import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('CausalMask', () => {
  it('keeps the shape of square scores', () => {
    expect(inferNode('CausalMask', {}, { scores: { shape: [4, 4] } }).outputs.y?.shape).toEqual(['B', 4, 4]);
    expect(inferNode('CausalMask', {}, { scores: { shape: [2, 4, 4] } }).outputs.y?.shape).toEqual(['B', 2, 4, 4]);
  });

  it('rejects scores that are not square or have the wrong rank', () => {
    expect(inferNode('CausalMask', {}, { scores: { shape: [2, 3] } }).codes).toEqual(['GC106@n.scores']);
    expect(inferNode('CausalMask', {}, { scores: { shape: [3] } }).codes).toEqual(['GC106@n.scores']);
    expect(inferNode('CausalMask', { value: 1 }, { scores: { shape: [3, 3] } }).codes).toEqual(['GC107@n']);
  });

  it('pushes later keys down by 1e9, by hand', async () => {
    // Query 0 may not see key 1: [[1, 2 - 1e9], [3, 4]].
    const run = await runNode('CausalMask', {}, { scores: { shape: [1, 2, 2], values: [1, 2, 3, 4] } });
    expectClose(run.outputs.y!.values, [1, 2 - 1e9, 3, 4]);
    // Per head on rank 4, T = 3: the strict upper triangle is masked.
    const heads = await runNode('CausalMask', {}, { scores: { shape: [1, 1, 3, 3], values: [0, 0, 0, 0, 0, 0, 0, 0, 0] } });
    expectClose(heads.outputs.y!.values, [0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0]);
  });
});
