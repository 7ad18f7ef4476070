import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { openDataSource, openTestSource } from '../../src/core/data/index.ts';
import { decodeMnist, encodeMnist } from '../../src/core/data/mnist-file.ts';
import { loadMnist, MNIST_TEST_SIZE, mnistPartition } from '../../src/core/data/mnist.ts';
import { drawKeys, keys, minMax, options, read, validationKeys } from './data-helpers.ts';

const file = await loadMnist(readPublicAsset);
const SIZE = 28 * 28;

describe('mnist.bin', () => {
  it('holds the 10,000 digits of the package, 28x28, sorted by label', () => {
    expect([file.count, file.rows, file.cols]).toEqual([10_000, 28, 28]);
    const counts = new Array(10).fill(0);
    for (const l of file.labels) counts[l]++;
    // Measured: 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(file.labels.every((l, i) => i === 0 || l >= file.labels[i - 1]!)).toBe(true);
  });

  it('matches the package image for image: the first, a middle and the last of each digit', () => {
    const digits = createRequire(import.meta.url)('mnist') as { length: number; get(i: number): number[] }[];
    let start = 0;
    for (let d = 0; d < 10; d++) {
      const n = digits[d]!.length;
      for (const k of [0, n >> 1, n - 1]) {
        const packed = Array.from(file.pixels.subarray((start + k) * SIZE, (start + k + 1) * SIZE));
        expect(file.labels[start + k]).toBe(d);
        expect(packed).toEqual(digits[d]!.get(k).map((v) => Math.round(v * 255)));
      }
      start += n;
    }
    expect(start).toBe(file.count);
  });

  it('has grey levels 0..255 and the MNIST mean intensity (about 0.13)', () => {
    expect(minMax(file.pixels)).toEqual([0, 255]);
    let sum = 0;
    for (const p of file.pixels) sum += p;
    const mean = sum / file.pixels.length / 255;
    expect(mean).toBeGreaterThan(0.125);
    expect(mean).toBeLessThan(0.137);
  });

  it('pairs images with their labels: 1s carry the least ink, and stand upright', () => {
    const ink = new Array(10).fill(0);
    const n = new Array(10).fill(0);
    // Second moments of the ink of the 1s about their centre, along rows and columns.
    let rowVar = 0;
    let colVar = 0;
    for (let i = 0; i < file.count; i++) {
      const label = file.labels[i]!;
      const img = file.pixels.subarray(i * SIZE, (i + 1) * SIZE);
      let total = 0;
      for (const p of img) total += p;
      ink[label] += total;
      n[label]++;
      if (label === 1) {
        let r = 0;
        let c = 0;
        for (let k = 0; k < SIZE; k++) {
          r += img[k]! * Math.floor(k / 28);
          c += img[k]! * (k % 28);
        }
        r /= total;
        c /= total;
        for (let k = 0; k < SIZE; k++) {
          rowVar += (img[k]! * (Math.floor(k / 28) - r) ** 2) / total;
          colVar += (img[k]! * ((k % 28) - c) ** 2) / total;
        }
      }
    }
    const meanInk = ink.map((s, d) => s / n[d]);
    expect(meanInk.indexOf(Math.min(...meanInk))).toBe(1);
    expect(meanInk[0]).toBeGreaterThan(1.5 * meanInk[1]!);
    expect(rowVar).toBeGreaterThan(3 * colVar);
  });

  it('has no two identical images', () => {
    const seen = new Set<string>();
    for (let i = 0; i < file.count; i++) seen.add(file.pixels.subarray(i * SIZE, (i + 1) * SIZE).join(','));
    expect(seen.size).toBe(file.count);
  });

  it('encodes and decodes, and refuses what is not a packed file', () => {
    const small = { count: 2, rows: 2, cols: 2, labels: new Uint8Array([3, 7]), pixels: new Uint8Array([0, 1, 2, 3, 250, 251, 252, 255]) };
    const bytes = encodeMnist(small);
    expect(bytes.length).toBe(20 + 2 + 8);
    const back = decodeMnist(bytes);
    expect([back.count, back.rows, back.cols, [...back.labels], [...back.pixels]]).toEqual([2, 2, 2, [3, 7], [...small.pixels]]);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeMnist(bad)).toThrow(/magic/);
    expect(() => decodeMnist(bytes.subarray(0, 25))).toThrow(/bytes/);
    const label = bytes.slice();
    label[20] = 10;
    expect(() => decodeMnist(label)).toThrow(/label 10/);
  });
});

describe('mnist source', () => {
  it('gives x [B, 784] (flat) or [B, 28, 28, 1] (image) float32 and y int32 labels', async () => {
    const flat = await openDataSource({ dataset: 'mnist' }, options(1));
    const b = read(flat.nextBatch(5));
    expect([b.x!.shape, b.x!.dtype, b.y!.shape, b.y!.dtype]).toEqual([[5, 784], 'float32', [5], 'int32']);
    const image = await openDataSource({ dataset: 'mnist', layout: 'image' }, options(1));
    const c = read(image.nextBatch(3));
    expect([c.x!.shape, c.y!.shape]).toEqual([[3, 28, 28, 1], [3]]);
    const v = read(image.validationBatch(0, 4));
    expect([v.x!.shape, v.x!.dtype, v.y!.shape, v.y!.dtype]).toEqual([[4, 28, 28, 1], 'float32', [4], 'int32']);
  });

  it('scales grey levels to [0, 1] (unit) or [-1, 1] (signed), the same images', async () => {
    const unit = await openDataSource({ dataset: 'mnist', range: 'unit' }, options(2));
    const signed = await openDataSource({ dataset: 'mnist', range: 'signed' }, options(2));
    const u = read(unit.nextBatch(200));
    const s = read(signed.nextBatch(200));
    expect(u.y!.rows).toEqual(s.y!.rows);
    const uv = u.x!.rows.flat();
    const sv = s.x!.rows.flat();
    expect(minMax(uv)).toEqual([0, 1]);
    expect(minMax(sv)).toEqual([-1, 1]);
    expect(uv.filter((v, i) => Math.abs(sv[i]! - (2 * v - 1)) > 1e-6)).toEqual([]);
    // Every value is a grey level / 255, and most levels occur.
    expect(uv.filter((v) => Math.abs(v * 255 - Math.round(v * 255)) > 1e-4)).toEqual([]);
    expect(new Set(uv.map((v) => Math.round(v * 255))).size).toBeGreaterThan(200);
    expect(u.y!.rows.flat().every((label) => Number.isInteger(label) && label >= 0 && label <= 9)).toBe(true);
  });

  it('binarizes at half intensity (binary), the same images', async () => {
    const unit = await openDataSource({ dataset: 'mnist', range: 'unit' }, options(2));
    const binary = await openDataSource({ dataset: 'mnist', range: 'binary' }, options(2));
    const u = read(unit.nextBatch(100)).x!.rows.flat();
    const b = read(binary.nextBatch(100)).x!.rows.flat();
    expect(new Set(b)).toEqual(new Set([0, 1]));
    expect(b.filter((v, i) => v !== (u[i]! * 255 >= 127.5 ? 1 : 0))).toEqual([]);
  });

  it('holds out 1,000 test images for every seed; validationSplit carves validation from the other 9,000', async () => {
    const { test, rest } = mnistPartition(file.count);
    expect([test.length, rest.length, MNIST_TEST_SIZE]).toEqual([1000, 9000, 1000]);
    expect(new Set([...test, ...rest]).size).toBe(10_000);
    const counts = new Array(10).fill(0);
    for (const i of test) counts[file.labels[i]!]++;
    for (const c of counts) expect(c).toBeGreaterThan(60);

    const held = (await openTestSource({ dataset: 'mnist' }, options(0)))!;
    expect([held.dataset, held.size]).toEqual(['mnist', 1000]);
    const heldKeys: string[] = [];
    for (let s = 0; s < held.size; s += 300) heldKeys.push(...keys(held.batch(s, 300)));
    expect(heldKeys).toHaveLength(1000);
    const again = (await openTestSource({ dataset: 'mnist' }, options(99)))!;
    expect(keys(again.batch(0, 1000))).toEqual(heldKeys);

    const source = await openDataSource({ dataset: 'mnist' }, options(5));
    expect(source.size).toEqual({ train: 8100, validation: 900 });
    const val = validationKeys(source, 400);
    const train = drawKeys(source, 8100, 900);
    const heldSet = new Set(heldKeys);
    const trainSet = new Set(train);
    expect(trainSet.size).toBe(8100); // one epoch: every training image once
    expect(new Set(val).size).toBe(900);
    expect(val.filter((k) => trainSet.has(k) || heldSet.has(k))).toEqual([]);
    expect(train.filter((k) => heldSet.has(k))).toEqual([]);

    const more = await openDataSource({ dataset: 'mnist' }, options(5, { validationSplit: 0.25 }));
    expect(more.size).toEqual({ train: 6750, validation: 2250 });
  });

  it('is the same for a seed and differs across seeds', async () => {
    const a = await openDataSource({ dataset: 'mnist' }, options(11));
    const b = await openDataSource({ dataset: 'mnist' }, options(11));
    const c = await openDataSource({ dataset: 'mnist' }, options(12));
    const ka = drawKeys(a, 64, 32);
    expect(drawKeys(b, 64, 32)).toEqual(ka);
    expect(drawKeys(c, 64, 32)).not.toEqual(ka);
    expect(keys(a.validationBatch(0, 50))).toEqual(keys(b.validationBatch(0, 50)));
    expect(keys(a.validationBatch(0, 50))).not.toEqual(keys(c.validationBatch(0, 50)));
  });

  it('returns fresh tensors that the caller disposes', async () => {
    const source = await openDataSource({ dataset: 'mnist' }, options(3));
    const before = tf.memory().numTensors;
    const b1 = source.nextBatch(4);
    const b2 = source.validationBatch(0, 4);
    expect(tf.memory().numTensors).toBe(before + 4);
    b1.x!.dispose();
    expect(b1.y!.isDisposed).toBe(false);
    for (const t of [...Object.values(b1), ...Object.values(b2)]) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
