/** Shared by the data tests: the cpu backend, options, and rows of a batch as comparable keys. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import type { Batch, DataOptions, DataSource } from '../../src/core/data/source.ts';

// PROD silences TF.js's advice to install its native Node backend.
tf.env().set('PROD', true);
await tf.setBackend('cpu');

export function options(seed: number, more: Partial<DataOptions> = {}): DataOptions {
  return { seed, validationSplit: 0.1, shuffle: true, readAsset: readPublicAsset, ...more };
}

export interface Rows {
  shape: number[];
  dtype: string;
  /** One array per example. */
  rows: number[][];
}

/** Reads and disposes a batch's tensors. */
export function read(batch: Batch): Record<string, Rows> {
  const out: Record<string, Rows> = {};
  for (const [name, t] of Object.entries(batch)) {
    const values = t.dataSync();
    const n = t.shape[0]!;
    const width = n === 0 ? 0 : values.length / n;
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(values.subarray(i * width, (i + 1) * width)));
    out[name] = { shape: t.shape, dtype: t.dtype, rows };
    t.dispose();
  }
  return out;
}

/** A string per example, joining every port's values (the example's identity). */
export function keys(batch: Batch): string[] {
  const ports = Object.values(read(batch));
  const n = ports[0]!.rows.length;
  return Array.from({ length: n }, (_, i) => ports.map((p) => p.rows[i]!.join(',')).join('|'));
}

/** Keys of `count` training examples, drawn in batches of `batch`. */
export function drawKeys(source: DataSource, count: number, batch = 500): string[] {
  const out: string[] = [];
  while (out.length < count) out.push(...keys(source.nextBatch(Math.min(batch, count - out.length))));
  return out;
}

/** Keys of the whole validation part, in order. */
export function validationKeys(source: DataSource, batch = 500): string[] {
  const out: string[] = [];
  for (let start = 0; start < source.size.validation; start += batch) out.push(...keys(source.validationBatch(start, batch)));
  return out;
}

export function minMax(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
