import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { innerOps } from './image-helpers.ts';

describe('Encoder', () => {
  it('gives mu and logvar of the latent size', () => {
    const run = inferNode('Encoder', { latent: 8 }, { x: { shape: [784] } });
    expect(run.outputs.mu?.shape).toEqual(['B', 8]);
    expect(run.outputs.logvar?.shape).toEqual(['B', 8]);
  });

  it('expands an mlp into Dense layers and two linear heads, flattening images first', () => {
    expect(innerOps(inferNode('Encoder', { hidden: [64, 32], latent: 2 }, { x: { shape: [10] } }).analysis)).toEqual([
      'fc0: Dense [B, 64]',
      'fc1: Dense [B, 32]',
      'mu: Dense [B, 2]',
      'logvar: Dense [B, 2]',
    ]);
    expect(innerOps(inferNode('Encoder', { hidden: [16], latent: 2 }, { x: { shape: [28, 28, 1] } }).analysis)).toEqual([
      'flatten: Flatten [B, 784]',
      'fc0: Dense [B, 16]',
      'mu: Dense [B, 2]',
      'logvar: Dense [B, 2]',
    ]);
  });

  it('expands conv into stride-2 4×4 convolutions, Flatten and the heads', () => {
    const { analysis } = inferNode('Encoder', { architecture: 'conv', hidden: [4, 8], latent: 3 }, { x: { shape: [8, 8, 1] } });
    expect(innerOps(analysis)).toEqual([
      'conv0: Conv2D [B, 4, 4, 4]',
      'conv1: Conv2D [B, 2, 2, 8]',
      'flatten: Flatten [B, 32]',
      'mu: Dense [B, 3]',
      'logvar: Dense [B, 3]',
    ]);
    const conv0 = analysis.ops.find((op) => op.id === 'n/conv0')!;
    expect(conv0.params).toMatchObject({ kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' });
    // 4·4·1·4 + 4, 4·4·4·8 + 8, and two heads of 32·3 + 3.
    expect(analysis.nodes.get('n')!.paramCount).toBe(68 + 520 + 99 + 99);
  });

  it('reports wrong inputs and params on the block', () => {
    expect(inferNode('Encoder', { architecture: 'conv' }, { x: { shape: [784] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Encoder', {}, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Encoder', { latent: 0 }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Encoder', { hidden: [0] }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Encoder', { architecture: 'rnn' }, { x: { shape: [4] } }).codes).toEqual(['GC107@n']);
  });

  it('computes a tiny mlp by hand', async () => {
    // x = [1, 2]; fc0: W = [[1, -1], [2, 1]], b = [0, -2] -> [1 + 4, -1 + 2 - 2] = [5, -1], relu -> [5, 0].
    // mu = [5, 0]·[0.5, 3] + 0.1 = 2.6; logvar = [5, 0]·[-1, 1] + 0 = -5.
    const run = await runNode(
      'Encoder',
      { hidden: [2], latent: 1 },
      { x: { shape: [1, 2], values: [1, 2] } },
      { 'fc0/kernel': [1, -1, 2, 1], 'fc0/bias': [0, -2], 'mu/kernel': [0.5, 3], 'mu/bias': [0.1], 'logvar/kernel': [-1, 1], 'logvar/bias': [0] },
    );
    expectClose(run.outputs.mu!.values, [2.6]);
    expectClose(run.outputs.logvar!.values, [-5]);
  });

  it('runs the conv architecture on a batch', async () => {
    const run = await runNode('Encoder', { architecture: 'conv', hidden: [2], latent: 3 }, { x: { shape: [2, 4, 4, 1], values: Array.from({ length: 32 }, (_, i) => i / 32) } });
    expect(run.outputs.mu!.shape).toEqual([2, 3]);
    expect(run.outputs.logvar!.shape).toEqual([2, 3]);
    expect(run.outputs.mu!.values.every(Number.isFinite)).toBe(true);
  });
});
