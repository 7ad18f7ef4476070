import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('SplitHeads', () => {
  it('moves the heads before the positions', () => {
    expect(inferNode('SplitHeads', { heads: 4 }, { x: { shape: [16, 32] } }).outputs.y?.shape).toEqual(['B', 4, 16, 8]);
  });

  it('rejects widths that do not split and wrong ranks', () => {
    const uneven = inferNode('SplitHeads', { heads: 3 }, { x: { shape: [2, 4] } });
    expect(uneven.codes).toEqual(['GC107@n']);
    expect(uneven.analysis.diagnostics[0]!.message).toContain('heads');
    expect(inferNode('SplitHeads', { heads: 2 }, { x: { shape: [4] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('SplitHeads', { heads: 0 }, { x: { shape: [2, 4] } }).codes).toEqual(['GC107@n']);
  });

  it('cuts each position into heads, by hand', async () => {
    // x = [[0, 1, 2, 3], [4, 5, 6, 7]], 2 heads: head 0 = [[0, 1], [4, 5]], head 1 = [[2, 3], [6, 7]].
    const run = await runNode('SplitHeads', { heads: 2 }, { x: { shape: [1, 2, 4], values: [0, 1, 2, 3, 4, 5, 6, 7] } });
    expect(run.outputs.y!.shape).toEqual([1, 2, 2, 2]);
    expectClose(run.outputs.y!.values, [0, 1, 4, 5, 2, 3, 6, 7]);
  });
});
