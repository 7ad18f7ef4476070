import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conv2dTransposeNode } from '../../src/core/nodes/conv2d-transpose.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { gradientsOf, nonZero } from './image-helpers.ts';

describe('Conv2DTranspose', () => {
  it("multiplies the size by the stride ('same') or adds the kernel overhang ('valid')", () => {
    const shape = (params: Record<string, unknown>, x: number[]) => inferNode('Conv2DTranspose', params, { x: { shape: x } }).outputs.y?.shape;
    expect(shape({ filters: 64 }, [7, 7, 128])).toEqual(['B', 14, 14, 64]);
    expect(shape({ filters: 1, strides: 2, kernelSize: 4 }, [14, 7, 8])).toEqual(['B', 28, 14, 1]);
    expect(shape({ filters: 3, strides: 1, kernelSize: 3, padding: 'valid' }, [5, 5, 2])).toEqual(['B', 7, 7, 3]);
    expect(shape({ filters: 3, strides: 2, kernelSize: 3, padding: 'valid' }, [5, 4, 2])).toEqual(['B', 11, 9, 3]);
  });

  it('rejects non-images and bad params', () => {
    expect(inferNode('Conv2DTranspose', {}, { x: { shape: [64] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Conv2DTranspose', { strides: 9 }, { x: { shape: [2, 2, 1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Conv2DTranspose', { filters: 5000 }, { x: { shape: [2, 2, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('counts a [k, k, filters, in] kernel and a bias', () => {
    expect(inferNode('Conv2DTranspose', { filters: 8, kernelSize: 4 }, { x: { shape: [3, 3, 2] } }).analysis.nodes.get('n')!.paramCount).toBe(4 * 4 * 8 * 2 + 8);
  });

  it('stamps the kernel at each input pixel, by hand', async () => {
    // 'valid', stride 1: y[i, j] = Σ x[a, b] · K[i - a, j - b]. x = [[1, 10]], K = [[1, 2], [3, 4]]:
    // row 0: [1·1, 1·2 + 10·1, 10·2] = [1, 12, 20]; row 1: [1·3, 1·4 + 10·3, 10·4] = [3, 34, 40]; bias 0.5.
    const run = await runNode('Conv2DTranspose', { filters: 1, kernelSize: 2, strides: 1, padding: 'valid' }, { x: { shape: [1, 1, 2, 1], values: [1, 10] } }, { kernel: [1, 2, 3, 4], bias: [0.5] });
    expect(run.outputs.y!.shape).toEqual([1, 2, 3, 1]);
    expectClose(run.outputs.y!.values, [1.5, 12.5, 20.5, 3.5, 34.5, 40.5]);
  });

  it("crops the stamp symmetrically for 'same' (kernel 4, stride 2)", async () => {
    // A 1×1 input to 2×2: the forward conv pads 2 (1 before, 1 after), so y[i, j] = x · K[i + 1, j + 1].
    // K = 1..16 row-major, x = 2: 2·[6, 7, 10, 11] = [12, 14, 20, 22], then relu after bias -13: [0, 1, 7, 9].
    const kernel = Array.from({ length: 16 }, (_, i) => i + 1);
    const run = await runNode('Conv2DTranspose', { filters: 1, activation: 'relu' }, { x: { shape: [1, 1, 1, 1], values: [2] } }, { kernel, bias: [-13] });
    expectClose(run.outputs.y!.values, [0, 1, 7, 9]);
  });

  it('uses the kernel as [k, k, out, in]', async () => {
    // 1×1 kernel, in = 2, out = 3, K[o][i] = [[1, 0], [0, 1], [1, 1]]; x = [1, 2] -> [1, 2, 3].
    const run = await runNode('Conv2DTranspose', { filters: 3, kernelSize: 1, strides: 1, useBias: false }, { x: { shape: [1, 1, 1, 2], values: [1, 2] } }, { kernel: [1, 0, 0, 1, 1, 1] });
    expectClose(run.outputs.y!.values, [1, 2, 3]);
  });

  it('runs on a batch and passes gradients', async () => {
    const run = await runNode('Conv2DTranspose', { filters: 2 }, { x: { shape: [3, 2, 2, 1], values: Array.from({ length: 12 }, (_, i) => i) } });
    expect(run.outputs.y!.shape).toEqual([3, 4, 4, 2]);
    const g = gradientsOf(
      conv2dTransposeNode,
      { filters: 2, activation: 'tanh' },
      { x: tf.ones([1, 2, 2, 1]) },
      { kernel: tf.fill([4, 4, 2, 1], 0.1), bias: tf.zeros([2]) },
      { outputShapes: { y: [1, 4, 4, 2] } },
    );
    expect(nonZero(g['in:x']!) && nonZero(g.kernel!) && nonZero(g.bias!)).toBe(true);
  });
});
