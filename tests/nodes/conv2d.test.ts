import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conv2dNode } from '../../src/core/nodes/conv2d.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { gradientsOf, nonZero } from './image-helpers.ts';

const x3 = { shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9] };

describe('Conv2D', () => {
  it("follows TensorFlow's 'same' and 'valid' output sizes", () => {
    const shape = (params: Record<string, unknown>, x: number[]) => inferNode('Conv2D', params, { x: { shape: x } }).outputs.y?.shape;
    expect(shape({ filters: 8 }, [28, 28, 1])).toEqual(['B', 28, 28, 8]);
    expect(shape({ filters: 8, kernelSize: 4, strides: 2 }, [28, 28, 1])).toEqual(['B', 14, 14, 8]);
    expect(shape({ filters: 4, kernelSize: 3, strides: 2 }, [7, 7, 3])).toEqual(['B', 4, 4, 4]);
    expect(shape({ filters: 4, kernelSize: 3, padding: 'valid' }, [7, 5, 3])).toEqual(['B', 5, 3, 4]);
    expect(shape({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid' }, [8, 8, 3])).toEqual(['B', 3, 3, 4]);
  });

  it('rejects non-images, windows larger than a valid image, and bad params', () => {
    expect(inferNode('Conv2D', {}, { x: { shape: [784] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Conv2D', {}, { x: { shape: [4, 4] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Conv2D', { kernelSize: 5, padding: 'valid' }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Conv2D', { filters: 0 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Conv2D', { kernelSize: 16 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Conv2D', { padding: 'full' }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('counts a [k, k, in, filters] kernel and a bias', () => {
    expect(inferNode('Conv2D', { filters: 8, kernelSize: 3 }, { x: { shape: [5, 5, 2] } }).analysis.nodes.get('n')!.paramCount).toBe(3 * 3 * 2 * 8 + 8);
  });

  it('convolves with a valid window, by hand', async () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], K = [[1,2],[3,4]]:
    // y00 = 1·1+2·2+4·3+5·4 = 37, y01 = 2+6+15+24 = 47, y10 = 4+10+21+32 = 67, y11 = 5+12+24+36 = 77;
    // bias -40 then relu: [0, 7, 27, 37].
    const run = await runNode('Conv2D', { filters: 1, kernelSize: 2, padding: 'valid', activation: 'relu' }, { x: x3 }, { kernel: [1, 2, 3, 4], bias: [-40] });
    expect(run.outputs.y!.shape).toEqual([1, 2, 2, 1]);
    expectClose(run.outputs.y!.values, [0, 7, 27, 37]);
  });

  it("pads 'same' at the bottom and right first, like TensorFlow", async () => {
    // Stride 2 on 3×3 with k = 2: 2×2 output, one row/column of zeros after the image.
    // y00 = 37, y01 = 3·1 + 6·3 = 21, y10 = 7·1 + 8·2 = 23, y11 = 9·1 = 9.
    const run = await runNode('Conv2D', { filters: 1, kernelSize: 2, strides: 2, useBias: false }, { x: x3 }, { kernel: [1, 2, 3, 4] });
    expectClose(run.outputs.y!.values, [37, 21, 23, 9]);
  });

  it('mixes channels with a [1, 1, in, out] kernel and applies unfused activations', async () => {
    // One pixel x = [1, -1], K = [[1, 2], [3, 1]] (in × out): x·K = [1 - 3, 2 - 1] = [-2, 1];
    // leakyRelu (slope 0.2): [-0.4, 1].
    const run = await runNode('Conv2D', { filters: 2, kernelSize: 1, activation: 'leakyRelu' }, { x: { shape: [1, 1, 1, 2], values: [1, -1] } }, { kernel: [1, 2, 3, 1], bias: [0, 0] });
    expectClose(run.outputs.y!.values, [-0.4, 1]);
  });

  it("starts kernel and bias at zero with kernelInit 'zeros', so its output starts at zero", async () => {
    const op = inferNode('Conv2D', { filters: 2, kernelInit: 'zeros' }, { x: { shape: [3, 3, 1] } }).analysis.ops.find((o) => o.id === 'n')!;
    expect(op.variables.map((v) => [v.name, v.init.kind])).toEqual([['kernel', 'zeros'], ['bias', 'zeros']]);
    expect(inferNode('Conv2D', { kernelInit: 'ones' }, { x: { shape: [3, 3, 1] } }).codes).toEqual(['GC107@n']);
    const run = await runNode('Conv2D', { filters: 2, kernelInit: 'zeros' }, { x: x3 });
    expectClose(run.outputs.y!.values, new Array(18).fill(0));
  });

  it('passes gradients to the input, kernel and bias', () => {
    const g = gradientsOf(conv2dNode, { filters: 2, kernelSize: 2, activation: 'silu' }, { x: tf.ones([1, 3, 3, 1]) }, { kernel: tf.ones([2, 2, 1, 2]), bias: tf.zeros([2]) });
    expect(nonZero(g['in:x']!) && nonZero(g.kernel!) && nonZero(g.bias!)).toBe(true);
  });
});
