import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maskedConv2dNode, pixelMask } from '../../src/core/nodes/masked-conv2d.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const x3 = { shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9] };

/** One masked layer applied directly, with the given kernel and bias. */
function layer(params: Record<string, unknown>, x: tf.Tensor, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const p = maskedConv2dNode.params.parse(params);
  const vars: Record<string, tf.Tensor> = bias ? { kernel, bias } : { kernel };
  return maskedConv2dNode.forward!({ params: p, inputs: { x }, vars, outputShapes: {}, batchSize: x.shape[0]!, training: false, random: createRandom(0), feeds: {} }).y!;
}

describe('pixelMask', () => {
  it("hides the centre and what follows it (A), or only what follows it (B), by hand", () => {
    expect(pixelMask(3, 'A')).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(pixelMask(3, 'B')).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(pixelMask(1, 'B')).toEqual([1]);
    // 5×5, mask A: two full rows, then two pixels of the centre row.
    expect(pixelMask(5, 'A')).toEqual([...new Array(10).fill(1), 1, 1, 0, 0, 0, ...new Array(10).fill(0)]);
  });
});

describe('MaskedConv2D', () => {
  it("keeps the image size ('same', stride 1) and counts a whole [k, k, in, filters] kernel", () => {
    const { outputs, analysis, codes } = inferNode('MaskedConv2D', { filters: 8, kernelSize: 7, mask: 'A' }, { x: { shape: [28, 28, 1] } });
    expect(codes).toEqual([]);
    expect(outputs.y?.shape).toEqual(['B', 28, 28, 8]);
    expect(analysis.nodes.get('n')!.paramCount).toBe(7 * 7 * 1 * 8 + 8);
    expect(inferNode('MaskedConv2D', { filters: 3, kernelSize: 1, useBias: false }, { x: { shape: [5, 4, 6] } }).outputs.y?.shape).toEqual(['B', 5, 4, 3]);
  });

  it('refuses even kernels, a 1×1 mask A, non-images and bad params, naming the param or port', () => {
    const even = inferNode('MaskedConv2D', { kernelSize: 4 }, { x: { shape: [8, 8, 1] } });
    expect(even.codes).toEqual(['GC107@n']);
    expect(even.analysis.diagnostics[0]!.message).toContain('"kernelSize" is invalid: 4 is even');
    const blind = inferNode('MaskedConv2D', { kernelSize: 1, mask: 'A' }, { x: { shape: [8, 8, 1] } });
    expect(blind.codes).toEqual(['GC107@n']);
    expect(blind.analysis.diagnostics[0]!.message).toContain('sees nothing');
    expect(inferNode('MaskedConv2D', {}, { x: { shape: [784] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('MaskedConv2D', { mask: 'C' }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('MaskedConv2D', { strides: 2 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('sums the pixels before each pixel (A) and the pixel too (B), by hand', async () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], a kernel of ones. Mask A sees the three pixels of the row above and
    // the one to the left: y11 = 1+2+3+4 = 10, y12 = 2+3+5 = 10, y20 = 4+5 = 9 (zero padding), y21 = 4+5+6+7 = 22, ...
    const ones = new Array(9).fill(1);
    const a = await runNode('MaskedConv2D', { filters: 1, kernelSize: 3, mask: 'A', useBias: false }, { x: x3 }, { kernel: ones });
    expect(a.outputs.y!.shape).toEqual([1, 3, 3, 1]);
    expectClose(a.outputs.y!.values, [0, 1, 2, 3, 10, 10, 9, 22, 19]);
    // Mask B adds the pixel itself; bias 0.5, then relu (fused) changes nothing here.
    const b = await runNode('MaskedConv2D', { filters: 1, kernelSize: 3, mask: 'B', activation: 'relu' }, { x: x3 }, { kernel: ones, bias: [0.5] });
    expectClose(b.outputs.y!.values, [1, 3, 5, 7, 15, 16, 16, 30, 28].map((v) => v + 0.5));
  });

  it('ignores the hidden kernel entries: values there change nothing', async () => {
    // Kernel 1..9 in raster order: mask B keeps 1..5 (entries 6..9 are hidden). At the centre pixel (value 5):
    // 1·1 + 2·2 + 3·3 + 4·4 + 5·5 = 55; with the hidden entries set to 100 it is still 55.
    const kernel = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const run = await runNode('MaskedConv2D', { filters: 1, kernelSize: 3, useBias: false }, { x: x3 }, { kernel });
    const hidden = await runNode('MaskedConv2D', { filters: 1, kernelSize: 3, useBias: false }, { x: x3 }, { kernel: [1, 2, 3, 4, 5, 100, 100, 100, 100] });
    expect(run.outputs.y!.values[4]).toBeCloseTo(55, 4);
    expect(hidden.outputs.y!.values).toEqual(run.outputs.y!.values);
  });

  it('mixes every input channel into every filter under the one spatial mask, by hand', async () => {
    // One 1×2 image, 2 channels: pixel 0 = [1, 2], pixel 1 = [3, 4]. Kernel 3×3×2×1 of ones, mask A:
    // pixel 1 sees pixel 0 only (left of it): 1 + 2 = 3; pixel 0 sees nothing: 0. Mask B adds the pixel's own channels: [3, 10].
    const x = { shape: [1, 1, 2, 2], values: [1, 2, 3, 4] };
    const ones = new Array(18).fill(1);
    expectClose((await runNode('MaskedConv2D', { filters: 1, mask: 'A', useBias: false }, { x }, { kernel: ones })).outputs.y!.values, [0, 3]);
    expectClose((await runNode('MaskedConv2D', { filters: 1, mask: 'B', useBias: false }, { x }, { kernel: ones })).outputs.y!.values, [3, 10]);
  });

  it('a stack of mask A then mask B layers reads only the pixels before each pixel in raster order', async () => {
    // Receptive field: for every pixel p of a 5×5 image, redrawing every pixel at or after p (all channels)
    // leaves the stack's output at p unchanged, while changing the pixel left of p (above p in the first
    // column) changes it. (Not any earlier pixel: stacked masked convolutions have PixelCNN's blind spot,
    // e.g. the last pixel of the row above is out of reach of the first pixel of a row.)
    const rng = new Rng(11);
    const draw = (shape: number[], scale = 1) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape);
    const [H, W, C] = [5, 5, 2];
    // Kernels at a third of unit scale, so that the tanh layers do not saturate.
    const kernels = [draw([5, 5, C, 4], 0.3), draw([3, 3, 4, 4], 0.3), draw([3, 3, 4, 3], 0.3)];
    const biases = [draw([4]), draw([4]), draw([3])];
    const stack = (x: tf.Tensor) =>
      tf.tidy(() => {
        const h1 = layer({ filters: 4, kernelSize: 5, mask: 'A', activation: 'tanh' }, x, kernels[0]!, biases[0]);
        const h2 = layer({ filters: 4, kernelSize: 3, mask: 'B', activation: 'tanh' }, h1, kernels[1]!, biases[1]);
        return layer({ filters: 3, kernelSize: 3, mask: 'B' }, h2, kernels[2]!, biases[2]);
      });
    const base = Array.from({ length: H * W * C }, () => rng.normal());
    const y = await stack(tf.tensor(base, [1, H, W, C])).data();
    const at = (values: ArrayLike<number>, p: number) => Array.from(values).slice(p * 3, p * 3 + 3);
    let changedByNeighbour = 0;
    for (let p = 0; p < H * W; p++) {
      const later = base.map((v, i) => (Math.floor(i / C) >= p ? v + 1 + rng.normal() : v));
      const yLater = await stack(tf.tensor(later, [1, H, W, C])).data();
      expect(at(yLater, p), `pixel ${p}`).toEqual(at(y, p));
      if (p > 0) {
        const before = p % W > 0 ? p - 1 : p - W;
        const previous = base.map((v, i) => (Math.floor(i / C) === before ? v + 1 : v));
        const yPrevious = await stack(tf.tensor(previous, [1, H, W, C])).data();
        if (at(yPrevious, p).some((v, i) => Math.abs(v - at(y, p)[i]!) > 1e-5)) changedByNeighbour += 1;
      }
    }
    // Every pixel but the first reads its left (or upper) neighbour, through mask A.
    expect(changedByNeighbour).toBe(H * W - 1);
    tf.dispose([...kernels, ...biases]);
  });

  it('one mask B layer reads the pixel itself but nothing after it', async () => {
    const rng = new Rng(5);
    const kernel = tf.tensor(Array.from({ length: 3 * 3 * 1 * 2 }, () => rng.normal()), [3, 3, 1, 2]);
    const base = Array.from({ length: 16 }, () => rng.normal());
    const y = await layer({ filters: 2, kernelSize: 3, mask: 'B' }, tf.tensor(base, [1, 4, 4, 1]), kernel).data();
    for (let p = 0; p < 16; p++) {
      const after = base.map((v, i) => (i > p ? v + 3 : v));
      const self = base.map((v, i) => (i === p ? v + 3 : v));
      const yAfter = await layer({ filters: 2, kernelSize: 3, mask: 'B' }, tf.tensor(after, [1, 4, 4, 1]), kernel).data();
      const ySelf = await layer({ filters: 2, kernelSize: 3, mask: 'B' }, tf.tensor(self, [1, 4, 4, 1]), kernel).data();
      expect([yAfter[2 * p], yAfter[2 * p + 1]]).toEqual([y[2 * p], y[2 * p + 1]]);
      expect(Math.abs(ySelf[2 * p]! - y[2 * p]!) + Math.abs(ySelf[2 * p + 1]! - y[2 * p + 1]!)).toBeGreaterThan(1e-3);
    }
    kernel.dispose();
  });
});
