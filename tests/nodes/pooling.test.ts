import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { avgPool2dNode } from '../../src/core/nodes/avg-pool2d.ts';
import { maxPool2dNode } from '../../src/core/nodes/max-pool2d.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

const x4 = { shape: [1, 4, 4, 1], values: Array.from({ length: 16 }, (_, i) => i + 1) };
const x3 = { shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9] };

describe('MaxPool2D and AvgPool2D', () => {
  it('shrink by the stride, which defaults to the pool size', () => {
    for (const kind of ['MaxPool2D', 'AvgPool2D']) {
      expect(inferNode(kind, {}, { x: { shape: [28, 28, 8] } }).outputs.y?.shape).toEqual(['B', 14, 14, 8]);
      expect(inferNode(kind, { poolSize: 3, strides: 1 }, { x: { shape: [5, 6, 2] } }).outputs.y?.shape).toEqual(['B', 3, 4, 2]);
      expect(inferNode(kind, { poolSize: 2, padding: 'same' }, { x: { shape: [7, 7, 1] } }).outputs.y?.shape).toEqual(['B', 4, 4, 1]);
      expect(inferNode(kind, { poolSize: 2 }, { x: { shape: [7, 7, 1] } }).outputs.y?.shape).toEqual(['B', 3, 3, 1]);
    }
  });

  it('reject non-images, too-small images and bad params', () => {
    for (const kind of ['MaxPool2D', 'AvgPool2D']) {
      expect(inferNode(kind, {}, { x: { shape: [16] } }).codes).toEqual(['GC106@n.x']);
      expect(inferNode(kind, { poolSize: 4 }, { x: { shape: [3, 3, 1] } }).codes).toEqual(['GC106@n.x']);
      expect(inferNode(kind, { poolSize: 0 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
      expect(inferNode(kind, { strides: 9 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
    }
  });

  it('take the max or the mean of each window, by hand', async () => {
    // 4×4 of 1..16 in 2×2 windows: max [6, 8, 14, 16]; mean of (1, 2, 5, 6) = 3.5, then 5.5, 11.5, 13.5.
    expectClose((await runNode('MaxPool2D', {}, { x: x4 })).outputs.y!.values, [6, 8, 14, 16]);
    expectClose((await runNode('AvgPool2D', {}, { x: x4 })).outputs.y!.values, [3.5, 5.5, 11.5, 13.5]);
    // Overlapping windows (stride 1) on 1..9: max [5, 6, 8, 9].
    expectClose((await runNode('MaxPool2D', { strides: 1 }, { x: x3 })).outputs.y!.values, [5, 6, 8, 9]);
  });

  it("average only the real pixels of a 'same'-padded window", async () => {
    // 3×3 of 1..9, 2×2 windows with padding after: (1+2+4+5)/4 = 3, (3+6)/2 = 4.5, (7+8)/2 = 7.5, 9.
    expectClose((await runNode('AvgPool2D', { padding: 'same' }, { x: x3 })).outputs.y!.values, [3, 4.5, 7.5, 9]);
  });

  it('pass gradients: to the max, or spread evenly', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expectClose(gradientsOf(maxPool2dNode, {}, { x })['in:x']!, [0, 0, 0, 1]);
    expectClose(gradientsOf(avgPool2dNode, {}, { x })['in:x']!, [0.25, 0.25, 0.25, 0.25]);
  });

  it("pass a 'same'-padded average's gradient by the real pixels of each window", () => {
    // The windows of 3×3 in 2×2 'same' hold 4, 2, 2 and 1 real pixels: each pixel gets 1 / that count.
    // (tf.avgPool's own gradient divides by 4 everywhere, so the border pixels got too little.)
    const x = tf.tensor4d(x3.values, [1, 3, 3, 1]);
    expectClose(gradientsOf(avgPool2dNode, { padding: 'same' }, { x })['in:x']!, [0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
    // Overlapping 3×3 windows at stride 1 on 1×3: the windows hold 2, 3 and 2 pixels.
    const row = tf.tensor4d([1, 2, 3], [1, 1, 3, 1]);
    expectClose(gradientsOf(avgPool2dNode, { poolSize: 3, strides: 1, padding: 'same' }, { x: row })['in:x']!, [1 / 2 + 1 / 3, 1 / 2 + 1 / 3 + 1 / 2, 1 / 3 + 1 / 2]);
  });

  it("average a 'same'-padded overlapping window over its real pixels, by hand", async () => {
    // 1×3 row [1, 2, 3], 3×3 windows at stride 1: (1+2)/2, (1+2+3)/3, (2+3)/2.
    expectClose((await runNode('AvgPool2D', { poolSize: 3, strides: 1, padding: 'same' }, { x: { shape: [1, 1, 3, 1], values: [1, 2, 3] } })).outputs.y!.values, [1.5, 2, 2.5]);
  });
});
