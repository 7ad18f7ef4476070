import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const EPS = 1e-5;

describe('GroupNorm', () => {
  it('keeps the shape and owns a scale and shift per channel', () => {
    const { outputs, analysis } = inferNode('GroupNorm', { groups: 4 }, { x: { shape: [6, 6, 8] } });
    expect(outputs.y?.shape).toEqual(['B', 6, 6, 8]);
    expect(analysis.nodes.get('n')!.paramCount).toBe(16);
    expect(inferNode('GroupNorm', { groups: 2 }, { x: { shape: [5, 6] } }).outputs.y?.shape).toEqual(['B', 5, 6]);
    expect(inferNode('GroupNorm', { groups: 3 }, { x: { shape: [6] } }).outputs.y?.shape).toEqual(['B', 6]);
  });

  it('refuses groups that do not divide the channels, a rank-1 input and bad params', () => {
    const uneven = inferNode('GroupNorm', { groups: 4 }, { x: { shape: [4, 4, 6] } });
    expect(uneven.codes).toEqual(['GC107@n']);
    expect(uneven.analysis.diagnostics[0]!.message).toContain('6 channels, which do not split evenly into 4 groups');
    expect(inferNode('GroupNorm', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('GroupNorm', { groups: 0 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('GroupNorm', { groups: 2, epsilon: 0 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
  });

  it('normalises each group of features of each example, by hand', async () => {
    // Example 1, x = [1, 3 | 10, 10]: group 1 has mean 2 and variance 1, so x̂ = [−s, s] with s = 1/√(1 + ε);
    // group 2 has variance 0, so x̂ = 0. Example 2 is example 1 plus 100: the same x̂ (no batch statistics).
    // gamma [1, 2, 3, 4], beta [0, 0, 1, −1]: y = [−s, 2s, 1, −1].
    const s = 1 / Math.sqrt(1 + EPS);
    const run = await runNode(
      'GroupNorm',
      { groups: 2 },
      { x: { shape: [2, 4], values: [1, 3, 10, 10, 101, 103, 110, 110] } },
      { gamma: [1, 2, 3, 4], beta: [0, 0, 1, -1] },
    );
    expectClose(run.outputs.y!.values, [-s, 2 * s, 1, -1, -s, 2 * s, 1, -1], 1e-4);
  });

  it('pools a group over every pixel of an image, by hand', async () => {
    // Two pixels, four channels in two groups: pixel 1 = [1, 2, 5, 7], pixel 2 = [3, 4, 9, 3].
    // Group 1 (channels 0, 1 of both pixels) = {1, 2, 3, 4}: mean 2.5, variance 1.25.
    // Group 2 (channels 2, 3) = {5, 7, 9, 3}: mean 6, variance 5.
    const a = 1 / Math.sqrt(1.25 + EPS);
    const b = 1 / Math.sqrt(5 + EPS);
    const run = await runNode('GroupNorm', { groups: 2 }, { x: { shape: [1, 2, 1, 4], values: [1, 2, 5, 7, 3, 4, 9, 3] } });
    expectClose(run.outputs.y!.values, [-1.5 * a, -0.5 * a, -1 * b, 1 * b, 0.5 * a, 1.5 * a, 3 * b, -3 * b], 1e-4);
  });

  it('pools a group over every step of a sequence, by hand', async () => {
    // [1, T = 2, D = 2], one group: all four values {0, 2, 4, 6}: mean 3, variance 5.
    const a = 1 / Math.sqrt(5 + EPS);
    const run = await runNode('GroupNorm', { groups: 1 }, { x: { shape: [1, 2, 2], values: [0, 2, 4, 6] } }, { gamma: [1, 10], beta: [0, 0] });
    expectClose(run.outputs.y!.values, [-3 * a, -10 * a, 1 * a, 30 * a], 1e-4);
  });

  it('is instance norm with a group per channel: a channel seen at one position only gives beta', async () => {
    const run = await runNode('GroupNorm', { groups: 3 }, { x: { shape: [1, 3], values: [5, -2, 7] } }, { gamma: [2, 2, 2], beta: [0.5, -1, 3] });
    expectClose(run.outputs.y!.values, [0.5, -1, 3]);
  });
});
