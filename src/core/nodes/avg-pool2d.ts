import * as tf from '@tensorflow/tfjs-core';
import type { Padding } from './image-common.ts';
import { makePoolNode } from './pool-common.ts';

/** Padding before the first row (or column) and in all of a 'same' window over n pixels, as TensorFlow places it. */
function samePadding(n: number, window: number, stride: number): { before: number; total: number } {
  const out = Math.ceil(n / stride);
  const total = Math.max(0, (out - 1) * stride + window - n);
  return { before: Math.floor(total / 2), total };
}

/** For each window along one axis, how many of its pixels lie inside the image. */
function insideCounts(n: number, window: number, stride: number, before: number, total: number): number[] {
  const out = Math.floor((n + total - window) / stride) + 1;
  return Array.from({ length: out }, (_, i) => Math.min(i * stride - before + window, n) - Math.max(i * stride - before, 0));
}

/**
 * Average pooling that divides by the pixels inside each window, as tf.avgPool
 * does. tf.avgPool's gradient (AvgPoolGrad, on the cpu and webgl backends)
 * divides by the whole window instead, which is wrong at the borders of a
 * 'same'-padded image; so padded windows are averaged here as a 'valid' pool
 * over explicitly zero-padded input, rescaled by window / pixels inside.
 */
export function avgPoolInside(x: tf.Tensor4D, poolSize: number, strides: number, padding: Padding): tf.Tensor4D {
  const [, h, w] = x.shape;
  const rows = samePadding(h, poolSize, strides);
  const cols = samePadding(w, poolSize, strides);
  if (padding === 'valid' || (rows.total === 0 && cols.total === 0)) return tf.avgPool(x, poolSize, strides, padding);
  const rowCounts = insideCounts(h, poolSize, strides, rows.before, rows.total);
  const colCounts = insideCounts(w, poolSize, strides, cols.before, cols.total);
  const scale = new Float32Array(rowCounts.length * colCounts.length);
  rowCounts.forEach((r, i) => colCounts.forEach((c, j) => (scale[i * colCounts.length + j] = (poolSize * poolSize) / (r * c))));
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [rows.before, rows.total - rows.before],
      [cols.before, cols.total - cols.before],
      [0, 0],
    ]);
    return tf.mul(tf.avgPool(padded, poolSize, strides, 'valid'), tf.tensor4d(scale, [1, rowCounts.length, colCounts.length, 1]));
  });
}

/** Average pooling over the height and width of an NHWC image. */
export const avgPool2dNode = makePoolNode(
  'AvgPool2D',
  'Average pool 2D',
  'Averages each window of an image, per channel; a 2×2 pool halves the height and width.',
  avgPoolInside,
);
