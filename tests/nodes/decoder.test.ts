import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { innerOps } from './image-helpers.ts';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('Decoder', () => {
  it('defaults to an mlp emitting flat logits of 784', () => {
    const { analysis, outputs } = inferNode('Decoder', {}, { z: { shape: [16] } });
    expect(outputs.x?.shape).toEqual(['B', 784]);
    expect(innerOps(analysis)).toEqual(['fc0: Dense [B, 256]', 'out: Dense [B, 784]']);
    expect(analysis.ops.find((op) => op.id === 'n/out')!.params).toMatchObject({ activation: 'linear' });
  });

  it('reshapes an mlp output to an image shape', () => {
    const { analysis, outputs } = inferNode('Decoder', { hidden: [32], outputShape: [28, 28, 1], outputActivation: 'sigmoid' }, { z: { shape: [2] } });
    expect(outputs.x?.shape).toEqual(['B', 28, 28, 1]);
    expect(innerOps(analysis)).toEqual(['fc0: Dense [B, 32]', 'out: Dense [B, 784]', 'reshape: Reshape [B, 28, 28, 1]']);
  });

  it('builds the conv architecture without batch norm by default', () => {
    const { analysis } = inferNode('Decoder', { architecture: 'conv', hidden: [32, 16], outputShape: [28, 28, 1] }, { z: { shape: [8] } });
    expect(innerOps(analysis)).toEqual([
      'fc: Dense [B, 1568]',
      'reshape: Reshape [B, 7, 7, 32]',
      'deconv1: Conv2DTranspose [B, 14, 14, 16]',
      'out: Conv2DTranspose [B, 28, 28, 1]',
    ]);
    expect(analysis.ops.find((op) => op.id === 'n/deconv1')!.params).toMatchObject({ activation: 'relu', useBias: true, kernelSize: 4, strides: 2 });
  });

  it('reports wrong latents and impossible output shapes', () => {
    expect(inferNode('Decoder', {}, { z: { shape: [4, 4] } }).codes).toEqual(['GC106@n.z']);
    expect(inferNode('Decoder', {}, { z: { shape: [] } }).codes).toEqual(['GC106@n.z']);
    expect(inferNode('Decoder', { outputShape: [] }, { z: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Decoder', { outputActivation: 'relu' }, { z: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Decoder', { architecture: 'conv', outputShape: [784] }, { z: { shape: [4] } }).codes).toEqual(['GC107@n']);
  });

  it('computes a tiny mlp by hand', async () => {
    // z = [1]; fc0: W = [[1, -1]], b = 0 -> [1, -1], relu -> [1, 0].
    // out: W = [[2, -1], [3, 4]], b = [0, 1] -> [2, -1 + 1] = [2, 0], sigmoid -> [σ(2), 0.5].
    const run = await runNode(
      'Decoder',
      { hidden: [2], outputShape: [2], outputActivation: 'sigmoid' },
      { z: { shape: [1, 1], values: [1] } },
      { 'fc0/kernel': [1, -1], 'fc0/bias': [0, 0], 'out/kernel': [2, -1, 3, 4], 'out/bias': [0, 1] },
    );
    expectClose(run.outputs.x!.values, [sigmoid(2), 0.5]);
  });
});
