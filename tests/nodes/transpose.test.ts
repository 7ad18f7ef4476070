import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Transpose', () => {
  it('permutes the axes', () => {
    expect(inferNode('Transpose', {}, { x: { shape: [2, 3] } }).outputs.y?.shape).toEqual(['B', 3, 2]);
    expect(inferNode('Transpose', { perm: [0, 2, 1, 3] }, { x: { shape: [2, 3, 4] } }).outputs.y?.shape).toEqual(['B', 3, 2, 4]);
    expect(inferNode('Transpose', { perm: [0, 3, 1, 2] }, { x: { shape: [2, 3, 4] } }).outputs.y?.shape).toEqual(['B', 4, 2, 3]);
  });

  it('keeps the batch axis first and requires a permutation of the right rank', () => {
    const moved = inferNode('Transpose', { perm: [1, 0, 2] }, { x: { shape: [2, 3] } });
    expect(moved.codes).toEqual(['GC107@n']);
    expect(moved.analysis.diagnostics[0]!.message).toContain('batch axis');
    expect(inferNode('Transpose', { perm: [0, 1, 1] }, { x: { shape: [2, 3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Transpose', { perm: [0, 2, 3] }, { x: { shape: [2, 3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Transpose', { perm: [0, 2, 1] }, { x: { shape: [3] } }).codes).toEqual(['GC106@n.x']);
  });

  it('moves the numbers, by hand', async () => {
    // [[0, 1, 2], [3, 4, 5]]ᵀ = [[0, 3], [1, 4], [2, 5]].
    const run = await runNode('Transpose', { perm: [0, 2, 1] }, { x: { shape: [1, 2, 3], values: [0, 1, 2, 3, 4, 5] } });
    expect(run.outputs.y!.shape).toEqual([1, 3, 2]);
    expectClose(run.outputs.y!.values, [0, 3, 1, 4, 2, 5]);
  });
});
