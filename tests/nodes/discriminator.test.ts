import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { innerOps } from './image-helpers.ts';

describe('Discriminator', () => {
  it('defaults to DCGAN convolutions giving one logit', () => {
    const { analysis, outputs } = inferNode('Discriminator', {}, { x: { shape: [28, 28, 1] } });
    expect(outputs.logit?.shape).toEqual(['B', 1]);
    expect(innerOps(analysis)).toEqual(['conv0: Conv2D [B, 14, 14, 64]', 'conv1: Conv2D [B, 7, 7, 128]', 'flatten: Flatten [B, 6272]', 'logit: Dense [B, 1]']);
    expect(analysis.ops.find((op) => op.id === 'n/conv0')!.params).toMatchObject({ kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' });
  });

  it('adds dropout after each hidden layer when asked, and flattens images for an mlp', () => {
    const { analysis } = inferNode('Discriminator', { architecture: 'mlp', hidden: [32, 16], dropout: 0.3 }, { x: { shape: [4, 4, 1] } });
    expect(innerOps(analysis)).toEqual([
      'flatten: Flatten [B, 16]',
      'fc0: Dense [B, 32]',
      'drop0: Dropout [B, 32]',
      'fc1: Dense [B, 16]',
      'drop1: Dropout [B, 16]',
      'logit: Dense [B, 1]',
    ]);
  });

  it('reports wrong inputs and params', () => {
    expect(inferNode('Discriminator', {}, { x: { shape: [784] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Discriminator', { architecture: 'mlp' }, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Discriminator', { dropout: 1 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('computes a tiny mlp by hand, with dropout idle at inference', async () => {
    // x = [1, 2]; fc0: W = [[1, -1], [2, -1]] -> [5, -3], leakyRelu (0.2) -> [5, -0.6].
    // logit = 5·1 + (-0.6)·2 + 0.5 = 4.3.
    const vars = { 'fc0/kernel': [1, -1, 2, -1], 'fc0/bias': [0, 0], 'logit/kernel': [1, 2], 'logit/bias': [0.5] };
    const run = await runNode('Discriminator', { architecture: 'mlp', hidden: [2], dropout: 0.5 }, { x: { shape: [1, 2], values: [1, 2] } }, vars);
    expect(run.outputs.logit!.shape).toEqual([1, 1]);
    expectClose(run.outputs.logit!.values, [4.3]);
  });
});
