import { imageGrid } from './grid.ts';
import type { Raster, Rgb } from './raster.ts';
import { scatter } from './scatter.ts';
import { textImage } from './text.ts';

export type SamplesInput =
  | {
      /** The sampler's family (prior, flow, ddpm, ...), named in the scatter legend. */
      family?: string;
      values: Float32Array;
      shape: readonly number[];
      /** What maps to black and white in images (default [0, 1]; [-1, 1] for tanh outputs). */
      range?: readonly [number, number];
      /** 2D only: the training data, drawn under the samples. */
      reference?: Float32Array;
      /** Images: tiles per row (default about the square root of n). */
      columns?: number;
    }
  | { texts: readonly string[] };

const DATA_COLOR: Rgb = [170, 170, 170];
const SAMPLE_COLOR: Rgb = [214, 39, 40];
/** Small images are upscaled to about this many pixels a side. */
const TILE_TARGET = 56;

/**
 * Picks the picture for a batch of samples: [n, D] with D a perfect square
 * above 16 (MNIST's 784) or [n, H, W] / [n, H, W, 1 | 3] -> image grid;
 * [n, 2] -> scatter over the reference data; texts -> text.
 */
export function renderSamples(input: SamplesInput): Raster {
  if ('texts' in input) return textImage(input.texts);
  const { values, shape } = input;
  const range = input.range ?? [0, 1];
  const [n, ...rest] = shape;
  const size = shape.reduce((a, b) => a * b, 1);
  if (n === undefined || !shape.every((d) => Number.isInteger(d) && d >= 1) || values.length !== size) {
    throw new Error(`renderSamples: shape [${shape.join(', ')}] does not fit ${values.length} values`);
  }
  const grid = (h: number, w: number, c: 1 | 3) => {
    const scale = Math.max(1, Math.floor(TILE_TARGET / Math.max(h, w)));
    return imageGrid(values, n, h, w, c, { range, scale, ...(input.columns ? { columns: input.columns } : {}) });
  };
  if (rest.length === 1) {
    const d = rest[0]!;
    if (d === 2) {
      const series = [
        ...(input.reference ? [{ points: input.reference, color: DATA_COLOR, label: 'data' }] : []),
        { points: values, color: SAMPLE_COLOR, label: input.family ? `samples (${input.family})` : 'samples' },
      ];
      return scatter(series);
    }
    const side = Math.round(Math.sqrt(d));
    if (d > 16 && side * side === d) return grid(side, side, 1);
  }
  if (rest.length === 2) return grid(rest[0]!, rest[1]!, 1);
  if (rest.length === 3 && (rest[2] === 1 || rest[2] === 3)) return grid(rest[0]!, rest[1]!, rest[2]);
  throw new Error(`renderSamples: no picture for samples of shape [${shape.join(', ')}]`);
}

/**
 * Token rows to strings: pads are skipped and a row ends at its first stop
 * token. `vocab` is the dataset's, e.g. CHAR_VOCAB (0 pad, 1 '.', 2.. 'a'..'z').
 */
export function decodeTokens(tokens: readonly (readonly number[])[], vocab: readonly string[], options: { pad?: number; stop?: number } = {}): string[] {
  const pad = options.pad ?? 0;
  const stop = options.stop ?? 1;
  return tokens.map((row) => {
    let text = '';
    for (const token of row) {
      if (token === stop) break;
      if (token === pad) continue;
      text += vocab[token] ?? '?';
    }
    return text;
  });
}

/**
 * Tiles per row that put each class of conditioned samples on its own row:
 * the run length when the labels come in equal runs (each-class sampling),
 * else undefined.
 */
export function columnsForLabelRuns(labels: readonly number[]): number | undefined {
  let run = 1;
  while (run < labels.length && labels[run] === labels[0]) run++;
  if (run === 1 || run === labels.length || labels.length % run !== 0) return undefined;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== labels[i - (i % run)]) return undefined;
  return run;
}
