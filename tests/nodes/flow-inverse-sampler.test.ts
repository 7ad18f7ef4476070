import { describe, expect, it } from 'vitest';
import { inferNode } from '../helpers.ts';

describe('FlowInverseSampler', () => {
  it("samples the latent's shape in the sampling phase", () => {
    const { outputs, analysis } = inferNode('FlowInverseSampler', { temperature: 0.7 }, { latent: { shape: [2] } });
    expect(outputs.samples?.shape).toEqual(['B', 2]);
    expect(analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('FlowInverseSampler', {}, {}).codes).toEqual(['GC102@n.latent']);
    expect(inferNode('FlowInverseSampler', {}, { latent: { shape: [] } }).codes).toEqual(['GC106@n.latent']);
    expect(inferNode('FlowInverseSampler', { temperature: -1 }, { latent: { shape: [2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('FlowInverseSampler', { count: 5000 }, { latent: { shape: [2] } }).codes).toEqual(['GC107@n']);
  });
});
