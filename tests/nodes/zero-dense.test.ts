import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('ZeroDense', () => {
  it('maps the last axis to units', () => {
    expect(inferNode('ZeroDense', { units: 4 }, { x: { shape: [3] } }).outputs.y?.shape).toEqual(['B', 4]);
    expect(inferNode('ZeroDense', { units: 4 }, { x: { shape: [2, 3] } }).outputs.y?.shape).toEqual(['B', 2, 4]);
    expect(inferNode('ZeroDense', { units: 4 }, { x: { shape: [3] } }).analysis.nodes.get('n')!.paramCount).toBe(16);
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('ZeroDense', { units: 4 }, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('ZeroDense', { units: 0 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('starts at zero whatever the input', async () => {
    const run = await runNode('ZeroDense', { units: 2 }, { x: { shape: [1, 3], values: [5, -1, 2] } });
    expectClose(run.outputs.y!.values, [0, 0]);
  });

  it('computes x·W + b once trained, by hand', async () => {
    // x = [1, 2], W = [[1, -1], [0.5, 2]], b = [0.1, -5]: [1 + 1 + 0.1, −1 + 4 − 5] = [2.1, −2]
    const run = await runNode('ZeroDense', { units: 2 }, { x: { shape: [1, 1, 2], values: [1, 2] } }, { kernel: [1, -1, 0.5, 2], bias: [0.1, -5] });
    expect(run.outputs.y!.shape).toEqual([1, 1, 2]);
    expectClose(run.outputs.y!.values, [2.1, -2]);
  });
});
