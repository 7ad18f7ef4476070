import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('LayerNorm', () => {
  it('keeps the shape and owns a scale and shift per feature', () => {
    const { outputs, analysis } = inferNode('LayerNorm', {}, { x: { shape: [16, 8] } });
    expect(outputs.y?.shape).toEqual(['B', 16, 8]);
    expect(analysis.nodes.get('n')!.paramCount).toBe(16);
    expect(inferNode('LayerNorm', {}, { x: { shape: [4, 4, 3] } }).outputs.y?.shape).toEqual(['B', 4, 4, 3]);
  });

  it('rejects a rank-1 input and a bad epsilon', () => {
    expect(inferNode('LayerNorm', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('LayerNorm', { epsilon: 0 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('LayerNorm', { epsilon: 2 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('normalises the last axis, by hand', async () => {
    // x = [1, 2, 3]: mean 2, variance 2/3, so x̂ = [-1, 0, 1] / √(2/3 + 1e-5).
    // gamma = [1, 2, 3], beta = [0, 0, 1]: y = [-s, 0, 3s + 1] with s = 1 / √(2/3 + 1e-5) ≈ 1.2247357.
    // Second row [5, 5, 5] has variance 0: x̂ = 0, y = beta.
    const s = 1 / Math.sqrt(2 / 3 + 1e-5);
    const run = await runNode('LayerNorm', {}, { x: { shape: [2, 3], values: [1, 2, 3, 5, 5, 5] } }, { gamma: [1, 2, 3], beta: [0, 0, 1] });
    expectClose(run.outputs.y!.values, [-s, 0, 3 * s + 1, 0, 0, 1]);
  });
});
