import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { codes, inferNode, makeDocument } from '../helpers.ts';

describe('PriorSampler', () => {
  it("samples the output's shape and runs in the sampling phase", () => {
    const analysis = analyze(
      makeDocument(
        [
          { id: 'noise', kind: 'Noise', params: { shape: [16] } },
          { id: 'dec', kind: 'Dense', params: { units: 784 } },
          { id: 'n', kind: 'PriorSampler', params: { transform: 'sigmoid' } },
        ],
        ['noise.z->dec.x', 'noise.z->n.latent', 'dec.y->n.output'],
      ),
    );
    expect(codes(analysis)).toEqual(['GC202@']);
    expect(analysis.nodes.get('n')!.outputs.samples?.shape).toEqual(['B', 784]);
    expect(analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
    expect(analysis.ops.find((op) => op.id === 'dec')!.phase).toBe('train');
  });

  it('reports missing inputs and bad params', () => {
    expect(inferNode('PriorSampler', {}, { latent: { shape: [16] } }).codes).toEqual(['GC102@n.output']);
    expect(inferNode('PriorSampler', { count: 0 }, { latent: { shape: [16] }, output: { shape: [2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('PriorSampler', { distribution: 'cauchy' }, { latent: { shape: [16] }, output: { shape: [2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('PriorSampler', { transform: 'relu' }, { latent: { shape: [16] }, output: { shape: [2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('PriorSampler', {}, { latent: { shape: [16] }, output: { shape: [28, 28, 1] } }).outputs.samples?.shape).toEqual(['B', 28, 28, 1]);
  });
});
