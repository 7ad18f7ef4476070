/**
 * What every in-memory source shares: seeded random streams, the split into
 * training and validation parts, shuffled epochs, and batches gathered from
 * flat typed arrays into one tensor per port.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../base/random.ts';
import type { Batch, DataOptions, DataSource, HeldOutSource } from './source.ts';

/**
 * An independent generator for one use of the seed ("pool", "split",
 * "epochs"), so that, e.g., turning shuffling off leaves the split unchanged.
 */
export function streamRng(seed: number, stream: string): Rng {
  let h = 0x811c9dc5; // FNV-1a of the stream name
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return new Rng((h ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}

/** Fisher–Yates, in place. */
export function shuffleInPlace(values: Int32Array, rng: Rng): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.integer(i + 1);
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  return values;
}

/** 0..n-1 in order. */
export function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

export function checkOptions(options: Pick<DataOptions, 'seed' | 'validationSplit'>): void {
  if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`);
  const v = options.validationSplit;
  if (!(v >= 0 && v <= 0.5)) throw new RangeError(`validationSplit must lie in [0, 0.5], got ${v}`);
}

/** How many of `n` examples a validation split of `share` holds out. */
export function validationCount(n: number, share: number): number {
  return Math.round(n * share);
}

export interface Split {
  /** Example indices, in the fixed (seeded) order that sequential reading follows. */
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Shuffles `indices` with `rng` and takes the first round(n * share) as the
 * validation part; both parts keep that shuffled order.
 */
export function splitIndices(indices: Int32Array, share: number, rng: Rng): Split {
  const order = shuffleInPlace(indices.slice(), rng);
  const k = validationCount(order.length, share);
  return { validation: order.slice(0, k), train: order.slice(k) };
}

/**
 * The endless stream of training indices: epoch after epoch, each a fresh
 * shuffle (seeded by the epoch number) or, without shuffling, the given
 * order. Any stretch of it can be read directly, so a run resumed at step k
 * sees exactly the batches it would have seen.
 */
export class EpochSampler {
  private cachedEpoch = -1;
  private cachedOrder: Int32Array | undefined;
  /** Next position of sequential reading (`next`). */
  private position = 0;

  constructor(
    private readonly indices: Int32Array,
    private readonly epochRng: ((epoch: number) => Rng) | undefined,
  ) {}

  /** Completed passes over the examples by sequential reading. */
  get epoch(): number {
    return this.indices.length === 0 ? 0 : Math.floor(this.position / this.indices.length);
  }

  private orderOf(epoch: number): Int32Array {
    if (!this.epochRng) return this.indices;
    if (epoch !== this.cachedEpoch) {
      this.cachedOrder = shuffleInPlace(this.indices.slice(), this.epochRng(epoch));
      this.cachedEpoch = epoch;
    }
    return this.cachedOrder!;
  }

  /** Indices at stream positions [start, start + count). */
  at(start: number, count: number): Int32Array {
    const n = this.indices.length;
    if (n === 0) throw new Error('no training examples to draw from (is the dataset empty?)');
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const position = start + i;
      out[i] = this.orderOf(Math.floor(position / n))[position % n]!;
    }
    return out;
  }

  next(count: number): Int32Array {
    const out = this.at(this.position, count);
    this.position += count;
    return out;
  }
}

/**
 * One output port's data: example i is `values[i * stride + offset ...]`,
 * `size(shape)` values long. With `lookup`, stored values are indices into it
 * (e.g. grey levels 0..255 to floats).
 */
export interface Column {
  dtype: 'float32' | 'int32';
  /** The shape of one example (the batch axis is added in front). */
  shape: readonly number[];
  values: Float32Array | Int32Array | Uint8Array;
  /** Values per example in `values` (default: the example's size). */
  stride?: number;
  /** Where the example starts within its stride (default 0). */
  offset?: number;
  lookup?: Float32Array;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Fresh tensors [rows.length, ...shape] per column, each built from one typed array. */
export function gatherBatch(columns: Readonly<Record<string, Column>>, rows: ArrayLike<number>): Batch {
  const batch: Batch = {};
  const n = rows.length;
  for (const [name, c] of Object.entries(columns)) {
    const width = sizeOf(c.shape);
    const stride = c.stride ?? width;
    const offset = c.offset ?? 0;
    const out = c.dtype === 'float32' ? new Float32Array(n * width) : new Int32Array(n * width);
    const { values, lookup } = c;
    for (let i = 0; i < n; i++) {
      const src = rows[i]! * stride + offset;
      const dst = i * width;
      if (lookup) {
        for (let j = 0; j < width; j++) out[dst + j] = lookup[values[src + j]!]!;
      } else {
        out.set(values.subarray(src, src + width), dst);
      }
    }
    batch[name] = tf.tensor(out, [n, ...c.shape], c.dtype);
  }
  return batch;
}

/** Indices [start, start + count) of `part`, the end clipped to its length. */
export function sliceRows(part: Int32Array, start: number, count: number, what: string): Int32Array {
  if (!Number.isInteger(start) || start < 0 || start >= part.length) {
    throw new RangeError(`${what}: start ${start} is outside [0, ${part.length})`);
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`${what}: count must be a positive integer, got ${count}`);
  return part.subarray(start, Math.min(part.length, start + count));
}

export interface TableSpec {
  dataset: string;
  columns: Readonly<Record<string, Column>>;
  split: Split;
  vocabulary?: readonly string[];
  decode?: (tokens: readonly number[]) => string;
  trainingTexts?: ReadonlySet<string>;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
}

/** A DataSource over columns held in memory. */
export class TableSource implements DataSource {
  readonly dataset: string;
  readonly size: { train: number; validation: number };
  readonly vocabulary?: readonly string[];
  readonly decode?: (tokens: readonly number[]) => string;
  readonly trainingTexts?: ReadonlySet<string>;
  private readonly columns: Readonly<Record<string, Column>>;
  private readonly validation: Int32Array;
  private readonly sampler: EpochSampler;

  constructor(spec: TableSpec, options: Pick<DataOptions, 'seed' | 'shuffle'>) {
    this.dataset = spec.dataset;
    this.columns = spec.columns;
    this.validation = spec.split.validation;
    this.size = { train: spec.split.train.length, validation: spec.split.validation.length };
    this.sampler = new EpochSampler(spec.split.train, options.shuffle ? (epoch) => streamRng(options.seed, `epoch ${epoch}`) : undefined);
    if (spec.vocabulary) this.vocabulary = spec.vocabulary;
    if (spec.decode) this.decode = spec.decode;
    if (spec.trainingTexts) this.trainingTexts = spec.trainingTexts;
  }

  /** Completed passes over the training part. */
  get epoch(): number {
    return this.sampler.epoch;
  }

  nextBatch(batchSize: number): Batch {
    checkBatchSize(batchSize);
    return gatherBatch(this.columns, this.sampler.next(batchSize));
  }

  trainBatch(start: number, count: number): Batch {
    checkBatchSize(count);
    if (!Number.isInteger(start) || start < 0) throw new RangeError(`stream position must be a non-negative integer, got ${start}`);
    return gatherBatch(this.columns, this.sampler.at(start, count));
  }

  validationBatch(start: number, count: number): Batch {
    return gatherBatch(this.columns, sliceRows(this.validation, start, count, `${this.dataset} validation`));
  }
}

/** A held-out set over columns held in memory. */
export class HeldOutTable implements HeldOutSource {
  readonly size: number;

  constructor(
    readonly dataset: string,
    private readonly columns: Readonly<Record<string, Column>>,
    private readonly rows: Int32Array,
  ) {
    this.size = rows.length;
  }

  batch(start: number, count: number): Batch {
    return gatherBatch(this.columns, sliceRows(this.rows, start, count, `${this.dataset} test`));
  }
}
