import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('DiffusionLoss', () => {
  it('outputs a scalar loss', () => {
    expect(inferNode('DiffusionLoss', {}, { prediction: { shape: [8, 8, 1] }, noise: { shape: [8, 8, 1] } }).outputs.loss?.shape).toEqual([]);
  });

  it('reports mismatched shapes and bad params', () => {
    expect(inferNode('DiffusionLoss', {}, { prediction: { shape: [2] }, noise: { shape: [3] } }).codes).toEqual(['GC106@n.noise']);
    expect(inferNode('DiffusionLoss', {}, { prediction: { shape: [2] } }).codes).toEqual(['GC102@n.noise']);
    expect(inferNode('DiffusionLoss', { weight: 2e6 }, { prediction: { shape: [2] }, noise: { shape: [2] } }).codes).toEqual(['GC107@n']);
  });

  it('is the mean squared error over everything, by hand', async () => {
    // (1−0)² + (2−2)² + (3−1)² + (4−1)² = 1 + 0 + 4 + 9 = 14, over 4 elements: 3.5.
    const run = await runNode('DiffusionLoss', {}, { prediction: { shape: [2, 2], values: [1, 2, 3, 4] }, noise: { shape: [2, 2], values: [0, 2, 1, 1] } });
    expectClose(run.outputs.loss!.values, [3.5]);
  });
});
