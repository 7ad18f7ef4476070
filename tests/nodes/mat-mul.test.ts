import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('MatMul', () => {
  it('multiplies the last two axes', () => {
    expect(inferNode('MatMul', {}, { a: { shape: [3, 4] }, b: { shape: [4, 5] } }).outputs.y?.shape).toEqual(['B', 3, 5]);
    expect(inferNode('MatMul', {}, { a: { shape: [2, 3, 4] }, b: { shape: [2, 4, 5] } }).outputs.y?.shape).toEqual(['B', 2, 3, 5]);
    expect(inferNode('MatMul', { transposeB: true }, { a: { shape: [2, 3, 4] }, b: { shape: [2, 5, 4] } }).outputs.y?.shape).toEqual(['B', 2, 3, 5]);
  });

  it('rejects mismatched axes, ranks and params', () => {
    expect(inferNode('MatMul', {}, { a: { shape: [3, 4] }, b: { shape: [5, 2] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('MatMul', { transposeB: true }, { a: { shape: [3, 4] }, b: { shape: [4, 5] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('MatMul', {}, { a: { shape: [2, 3, 4] }, b: { shape: [3, 4, 5] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('MatMul', {}, { a: { shape: [2, 3, 4] }, b: { shape: [4, 5] } }).codes).toEqual(['GC106@n.b']);
    expect(inferNode('MatMul', {}, { a: { shape: [4] }, b: { shape: [4] } }).codes).toEqual(['GC106@n.a']);
    expect(inferNode('MatMul', { scale: 1e9 }, { a: { shape: [3, 4] }, b: { shape: [4, 5] } }).codes).toEqual(['GC107@n']);
  });

  it('computes a·b and scaled a·bᵀ, by hand', async () => {
    const a = { shape: [1, 2, 2], values: [1, 2, 3, 4] };
    const b = { shape: [1, 2, 2], values: [5, 6, 7, 8] };
    // [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]].
    expectClose((await runNode('MatMul', {}, { a, b })).outputs.y!.values, [19, 22, 43, 50]);
    // a·bᵀ = [[17, 23], [39, 53]], times 0.5.
    expectClose((await runNode('MatMul', { transposeB: true, scale: 0.5 }, { a, b })).outputs.y!.values, [8.5, 11.5, 19.5, 26.5]);
  });

  it('multiplies per head on rank 4', async () => {
    // Head 0: [1, 2]·[[1], [1]] = 3; head 1: [3, 4]·[[2], [0]] = 6.
    const run = await runNode('MatMul', {}, { a: { shape: [1, 2, 1, 2], values: [1, 2, 3, 4] }, b: { shape: [1, 2, 2, 1], values: [1, 1, 2, 0] } });
    expect(run.outputs.y!.shape).toEqual([1, 2, 1, 1]);
    expectClose(run.outputs.y!.values, [3, 6]);
  });
});
