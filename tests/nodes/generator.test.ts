import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { innerOps, variablesReached } from './image-helpers.ts';

const kernel16 = Array.from({ length: 16 }, (_, i) => i + 1);

describe('Generator', () => {
  it('defaults to a DCGAN making 28×28×1 images through tanh', () => {
    const { analysis, outputs } = inferNode('Generator', {}, { z: { shape: [100] } });
    expect(outputs.x?.shape).toEqual(['B', 28, 28, 1]);
    expect(innerOps(analysis)).toEqual([
      'fc: Dense [B, 6272]',
      'reshape: Reshape [B, 7, 7, 128]',
      'bn0: BatchNorm [B, 7, 7, 128]',
      'act0: Activation [B, 7, 7, 128]',
      'deconv1: Conv2DTranspose [B, 14, 14, 64]',
      'bn1: BatchNorm [B, 14, 14, 64]',
      'act1: Activation [B, 14, 14, 64]',
      'out: Conv2DTranspose [B, 28, 28, 1]',
    ]);
    const params = (id: string) => analysis.ops.find((op) => op.id === `n/${id}`)!.params;
    // No bias before batch norm; ReLU inside; tanh out.
    expect(params('fc')).toMatchObject({ useBias: false, activation: 'linear' });
    expect(params('deconv1')).toMatchObject({ useBias: false, activation: 'linear', kernelSize: 4, strides: 2, padding: 'same' });
    expect(params('act1')).toMatchObject({ fn: 'relu' });
    expect(params('out')).toMatchObject({ filters: 1, activation: 'tanh' });
  });

  it('also offers the mlp architecture', () => {
    const { analysis, outputs } = inferNode('Generator', { architecture: 'mlp', hidden: [128], outputShape: [2], outputActivation: 'linear' }, { z: { shape: [8] } });
    expect(outputs.x?.shape).toEqual(['B', 2]);
    expect(innerOps(analysis)).toEqual(['fc0: Dense [B, 128]', 'out: Dense [B, 2]']);
  });

  it('needs image sizes divisible by 2^(upsampling steps) and at least one channel count', () => {
    expect(inferNode('Generator', { outputShape: [30, 30, 1] }, { z: { shape: [8] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Generator', { hidden: [8, 8, 8], outputShape: [28, 28, 1] }, { z: { shape: [8] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Generator', { hidden: [] }, { z: { shape: [8] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Generator', { outputShape: [28, 28] }, { z: { shape: [8] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Generator', {}, { z: { shape: [4, 4, 1] } }).codes).toEqual(['GC106@n.z']);
  });

  it('computes a tiny conv generator by hand', async () => {
    // z = 2; fc: 1.5·2 - 1 = 2, relu -> 2, reshaped to one 1×1 pixel.
    // out: kernel-4 stride-2 'same' transpose takes 1×1 to 2×2 as y[i, j] = v · K[i + 1, j + 1]
    // (the forward conv pads one row and column on each side): 2·[6, 7, 10, 11] + 0.5.
    const run = await runNode(
      'Generator',
      { hidden: [1], outputShape: [2, 2, 1], batchNorm: false, outputActivation: 'linear' },
      { z: { shape: [1, 1], values: [2] } },
      { 'fc/kernel': [1.5], 'fc/bias': [-1], 'out/kernel': kernel16, 'out/bias': [0.5] },
    );
    expect(run.outputs.x!.shape).toEqual([1, 2, 2, 1]);
    expectClose(run.outputs.x!.values, [12.5, 14.5, 20.5, 22.5]);
  });

  it('normalises over the batch before the activation, by hand', async () => {
    // z = [[1], [3]], fc weight 1 and no bias -> [1, 3]; batch norm: mean 2, variance 1 ->
    // ±1 / sqrt(1 + 1e-3); relu -> [0, s]; out (no bias change, tanh): tanh(s · [6, 7, 10, 11]).
    const run = await runNode('Generator', { hidden: [1], outputShape: [2, 2, 1] }, { z: { shape: [2, 1], values: [1, 3] } }, { 'fc/kernel': [1], 'out/kernel': kernel16 });
    const s = 1 / Math.sqrt(1 + 1e-3);
    expectClose(run.outputs.x!.values, [0, 0, 0, 0, ...[6, 7, 10, 11].map((k) => Math.tanh(s * k))]);
  });

  it('passes gradients to every variable of a small DCGAN generator', () => {
    // Weights on the output keep the batch-normalised path from summing to a constant.
    const reached = variablesReached('Generator', { hidden: [4, 2], outputShape: [8, 8, 1], outputActivation: 'sigmoid' }, { z: { shape: [3, 2], values: [1, -1, 0.5, 2, -0.3, 0.7] } }, 'x');
    expect(Object.keys(reached).sort()).toEqual(['n/bn0/beta', 'n/bn0/gamma', 'n/bn1/beta', 'n/bn1/gamma', 'n/deconv1/kernel', 'n/fc/kernel', 'n/out/bias', 'n/out/kernel']);
    expect(Object.entries(reached).filter(([, ok]) => !ok)).toEqual([]);
  });
});
