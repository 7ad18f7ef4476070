/**
 * Where a Data node's batches come from. A source holds its examples in
 * memory, split once (by seed) into training and validation parts; training
 * batches are drawn from shuffled epochs, validation batches in order.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ReadUserFile } from './user-file.ts';

/** Tensors by the Data node's output port (x, y, yIn). The caller disposes them. */
export type Batch = Record<string, tf.Tensor>;

export interface DataSource {
  readonly dataset: string;
  readonly size: { train: number; validation: number };
  /** The next training batch (the same sequence for the same seed). */
  nextBatch(batchSize: number): Batch;
  /**
   * Examples [start, start + count) of the endless stream of shuffled epochs
   * that nextBatch reads in order: step k of a run reads from k · batch size,
   * so a resumed run sees the same batches.
   */
  trainBatch(start: number, count: number): Batch;
  /** Validation examples [start, start + count), in a fixed order. */
  validationBatch(start: number, count: number): Batch;
  /** Text datasets: the token vocabulary, and tokens back to text. */
  readonly vocabulary?: readonly string[];
  decode?(tokens: readonly number[]): string;
  /** Text datasets: the training texts, to tell new samples from copies. */
  readonly trainingTexts?: ReadonlySet<string>;
}

export interface DataOptions {
  seed: number;
  /** Share of examples held out for validation, in [0, 0.5]. */
  validationSplit: number;
  shuffle: boolean;
  /** Reads a prepared asset (e.g. `data/mnist.bin` under public/): fs in Node, fetch in the browser. */
  readAsset(path: string): Promise<Uint8Array>;
  /**
   * Reads the file a Data node of a user dataset (csv, images, text) names:
   * from disk beside the graph file in the CLI, from the files attached in
   * the inspector in the browser. A missing file throws UserFileMissingError
   * saying how to provide it; without this reader, user datasets cannot open.
   */
  readUserFile?: ReadUserFile;
}

/**
 * Examples kept out of training and validation alike (MNIST's test split),
 * read in a fixed order; batches have the same ports and conventions as the
 * dataset's DataSource.
 */
export interface HeldOutSource {
  readonly dataset: string;
  readonly size: number;
  /** Examples [start, start + count), the end clipped to the size. */
  batch(start: number, count: number): Batch;
}
