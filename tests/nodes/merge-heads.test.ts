import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('MergeHeads', () => {
  it('puts the heads side by side', () => {
    expect(inferNode('MergeHeads', {}, { x: { shape: [4, 16, 8] } }).outputs.y?.shape).toEqual(['B', 16, 32]);
  });

  it('rejects other ranks', () => {
    expect(inferNode('MergeHeads', {}, { x: { shape: [16, 8] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('MergeHeads', { heads: 2 }, { x: { shape: [2, 16, 8] } }).codes).toEqual(['GC107@n']);
  });

  it('undoes SplitHeads, by hand', async () => {
    // Head 0 = [[0, 1], [4, 5]], head 1 = [[2, 3], [6, 7]] -> positions [0, 1, 2, 3] and [4, 5, 6, 7].
    const run = await runNode('MergeHeads', {}, { x: { shape: [1, 2, 2, 2], values: [0, 1, 4, 5, 2, 3, 6, 7] } });
    expect(run.outputs.y!.shape).toEqual([1, 2, 4]);
    expectClose(run.outputs.y!.values, [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
