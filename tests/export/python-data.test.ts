/**
 * The exported project's data and weight files against GenComposer's own:
 * python/gencomposer/data.py must read the same files into the same
 * examples, splits and training batches as the TypeScript data sources
 * (src/core/data), and python/gencomposer/weights.py must read and write
 * safetensors files as src/core/export/safetensors.ts does.
 *
 * Everything Python answers comes from one run of python_data_driver.py.
 * Skipped, saying so, when /usr/bin/python3 cannot import torch (Debian's
 * python3-torch; CI installs it). The images dataset needs Pillow; without
 * it, the check is that Python says so in its error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_DIR, readPublicAsset } from '../../src/core/data/assets.node.ts';
import { CHAR_VOCAB, TOY_2D } from '../../src/core/data/datasets.ts';
import { EIGHT_GAUSSIANS_CENTRES, openDataSource, openTestSource, type Batch, type DataParamsInput, type DataSource } from '../../src/core/data/index.ts';
import { RINGS_RADII } from '../../src/core/data/toy2d.ts';
import { exportedDataFiles } from '../../src/core/export/data-files.ts';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type NamedTensor } from '../../src/core/export/safetensors.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import '../data/data-helpers.ts';
import { bytes, filesReader, png, zip } from '../data/user-file-helpers.ts';

const PYTHON = '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('./python_data_driver.py', import.meta.url));
const DATA_DIR = join(PUBLIC_DIR, 'data');

const torchCheck = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = torchCheck.status === 0;
if (!hasTorch) {
  console.warn(`python-data: skipped, ${PYTHON} cannot import torch (install Debian's python3-torch)${torchCheck.stderr ? `: ${torchCheck.stderr.trim().split('\n').pop()}` : ''}`);
}

// ---------------------------------------------------------------------------
// Requests to the Python driver, answered in one run
// ---------------------------------------------------------------------------

interface PyTensor {
  dtype: string;
  shape: number[];
  values: number[];
}
type PyBatch = Record<string, PyTensor>;
interface PyAnswer {
  error?: string;
  [key: string]: unknown;
}
interface Options {
  seed: number;
  validationSplit: number;
  shuffle: boolean;
}

const requests: Record<string, unknown>[] = [];
let answers: PyAnswer[] = [];

/** Queues a request; the returned function gives its answer once the driver has run, failing on a Python exception. */
function ask<T extends PyAnswer>(request: Record<string, unknown>): () => T {
  const index = requests.push(request) - 1;
  return () => {
    const answer = answers[index];
    if (!answer) throw new Error(`no answer to ${JSON.stringify(request).slice(0, 200)}`);
    if (answer.error) throw new Error(`python: ${answer.error}`);
    return answer as T;
  };
}

type Examples = { len: number; ports: string[]; batch: PyBatch; decoded?: string[]; vocabulary: string[] | null; classes: string[] | null };

function askExamples(params: DataParamsInput, split: string, o: Options, ranges: [number, number][], more: Record<string, unknown> = {}, dataDir = DATA_DIR) {
  return ask<Examples>({ op: 'examples', params, split, dataDir, ...o, ranges, ...more });
}

/** TS batch tensors as plain values, disposed. */
function values(batch: Batch): Record<string, { dtype: string; shape: number[]; values: number[] }> {
  const out: Record<string, { dtype: string; shape: number[]; values: number[] }> = {};
  for (const [port, t] of Object.entries(batch)) {
    out[port] = { dtype: t.dtype, shape: t.shape, values: Array.from(t.dataSync()) };
    t.dispose();
  }
  return out;
}

/** Batches read at several [start, count] ranges, concatenated per port. */
function concatRanges(read: (start: number, count: number) => Batch, ranges: readonly [number, number][]) {
  const parts = ranges.map(([start, count]) => values(read(start, count)));
  const out: Record<string, { shape: number[]; values: number[] }> = {};
  for (const port of Object.keys(parts[0]!)) {
    const rows = parts.reduce((n, p) => n + p[port]!.shape[0]!, 0);
    out[port] = { shape: [rows, ...parts[0]![port]!.shape.slice(1)], values: parts.flatMap((p) => p[port]!.values) };
  }
  return out;
}

/** Python's batch equals the TS batch: the same ports, shapes and values; floats stay float32, tokens become int64. */
function expectSameBatch(py: PyBatch, ts: Record<string, { shape: number[]; values: number[] }>, tokens: readonly string[]): void {
  expect(Object.keys(py).sort()).toEqual(Object.keys(ts).sort());
  for (const [port, t] of Object.entries(ts)) {
    expect(py[port]!.shape, port).toEqual(t.shape);
    expect(py[port]!.dtype, port).toBe(tokens.includes(port) ? 'int64' : 'float32');
    expect(py[port]!.values, port).toEqual(t.values);
  }
}

const opts = (seed: number, more: Partial<Options> = {}): Options => ({ seed, validationSplit: 0.1, shuffle: true, ...more });
const tsOptions = (o: Options, readUserFile?: Parameters<typeof filesReader>[0]) => ({ ...o, readAsset: readPublicAsset, ...(readUserFile ? { readUserFile: filesReader(readUserFile) } : {}) });

// MNIST: each layout and range, each split, a few examples at both ends, and all labels of validation and test.
const MNIST_CASES = [
  { layout: 'flat', range: 'unit' },
  { layout: 'image', range: 'signed' },
  { layout: 'flat', range: 'binary' },
] as const;
const MNIST_SEED = 7;
const MNIST_SPLIT_SIZES = { train: 8100, validation: 900, test: 1000 };
const edges = (size: number): [number, number][] => [
  [0, 3],
  [size - 2, 2],
];
const mnist = MNIST_CASES.map((p) => ({
  params: { dataset: 'mnist', ...p } as DataParamsInput,
  // Without shuffling, TS training batches read the training split in its order, as Python's examples do.
  train: askExamples({ dataset: 'mnist', ...p }, 'train', opts(MNIST_SEED, { shuffle: false }), edges(MNIST_SPLIT_SIZES.train)),
  validation: askExamples({ dataset: 'mnist', ...p }, 'validation', opts(MNIST_SEED), edges(MNIST_SPLIT_SIZES.validation)),
  test: askExamples({ dataset: 'mnist', ...p }, 'test', opts(MNIST_SEED), edges(MNIST_SPLIT_SIZES.test)),
}));
const mnistLabels = {
  validation: askExamples({ dataset: 'mnist' }, 'validation', opts(MNIST_SEED), [[0, 1000]], { only: ['y'] }),
  test: askExamples({ dataset: 'mnist' }, 'test', opts(MNIST_SEED), [[0, 1000]], { only: ['y'] }),
  otherSeed: askExamples({ dataset: 'mnist' }, 'test', opts(MNIST_SEED + 1), [[0, 1000]], { only: ['y'] }),
};

// names and reverse-strings: whole validation splits, and the training split's ends.
const TEXT_CASES = [
  { params: { dataset: 'names', context: 16 }, seed: 5 },
  { params: { dataset: 'names', context: 8 }, seed: 5 },
  { params: { dataset: 'reverse-strings', context: 8 }, seed: 11 },
  { params: { dataset: 'reverse-strings', context: 12 }, seed: 0 },
] as const;
const text = TEXT_CASES.map((c) => ({
  ...c,
  validation: askExamples(c.params, 'validation', opts(c.seed), [[0, 100_000]], { decode: 'x' }),
  train: askExamples(c.params, 'train', opts(c.seed, { shuffle: false }), [
    [0, 50],
    [17_000, 10],
  ]),
}));

// The 2D toy sets: the whole validation split of each.
const TOY_SEED = 3;
const toys = TOY_2D.map((dataset) => ({ dataset, validation: askExamples({ dataset }, 'validation', opts(TOY_SEED), [[0, 100_000]]) }));

// Training batches: step k's global batch, split over ranks. The names step is chosen in beforeAll to cross an epoch boundary.
type Stream = Record<string, PyBatch[]> & { generator: PyBatch[] };
const STREAM_WORLDS = [1, 2, 3];
const mnistStream = { params: { dataset: 'mnist', layout: 'image' } as DataParamsInput, batchSize: 6, step: 3, seed: 4 };
const mnistStreamAnswer = ask<Stream & PyAnswer>({ op: 'stream', params: mnistStream.params, dataDir: DATA_DIR, ...opts(mnistStream.seed), batchSize: 6, step: 3, worldSizes: STREAM_WORLDS });
let namesStream: { batchSize: number; step: number; answer: () => Stream & PyAnswer } | undefined;

// User files: written to a temporary folder for Python, handed to TS by name.
const TMP = mkdtempSync(join(tmpdir(), 'gc-python-data-'));
const CSV = 'x,y,kind\r\n1.5,-2,cat\r\n"3", 4e-1 ,dog\n\n-0.25,1e3,"ca""t"\n7,8,cat\n9,10,dog\n11,12,cat\n13,14,dog\n15,16,cat\n17,18,cat\n19,20,dog\n21,"22",ant\n';
const WORDS = 'Anna\r\nbob\n\n  carl  \nbob\ndave\reve\nfrank\ngreta\nhans\nida\njon\n';
const USER_FILES: Record<string, Uint8Array> = {
  'table.csv': bytes(CSV),
  'words.txt': bytes(WORDS),
  // Numeric labels first: classes in numeric order (2 < 10), not string order.
  'nums.csv': bytes('10,0.5,1\n2,2,3\n3,4,5\n10,6,7\n2,8,9\n3,10,11\n10,12,13\n'),
  'bad.csv': bytes('a,b\n1,2\n3,x4\n'),
  'bad.txt': bytes('anna\nbo2b\n'),
  'long.txt': bytes('anna\nbartholomew\n'),
  // Class folders inside a wrapper folder; hidden files, macOS copies and a README are skipped.
  'grey.zip': zip({
    'set/cats/a.png': png(3, 2, [0, 50, 100, 150, 200, 255]),
    'set/cats/b.png': png(3, 2, [0, 256, 32768, 65535, 128, 40000], 1, 16),
    'set/dogs/c.png': png(3, 2, [10, 255, 20, 0, 30, 128, 40, 7, 50, 1, 60, 99], 2),
    'set/dogs/README.txt': bytes('not an image'),
    'set/.DS_Store': bytes('x'),
    '__MACOSX/set/cats/._a.png': bytes('x'),
  }),
  'colour.zip': zip({
    'rgb.png': png(2, 2, [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7], 3),
    'rgba.png': png(2, 2, [1, 2, 3, 0, 4, 5, 6, 100, 7, 8, 9, 200, 10, 11, 12, 255], 4),
    'zgrey.png': png(2, 2, [0, 64, 128, 255]),
  }),
};
for (const [name, data] of Object.entries(USER_FILES)) writeFileSync(join(TMP, name), data);
const USER_CASES: { name: string; params: DataParamsInput; tokens: string[] }[] = [
  { name: 'csv with a header and labels', params: { dataset: 'csv', file: 'table.csv', columns: 2, labels: 'last-column' }, tokens: ['y'] },
  { name: 'csv with numeric labels first', params: { dataset: 'csv', file: 'nums.csv', columns: 2, labels: 'first-column', header: 'no' }, tokens: ['y'] },
  { name: 'csv without labels, a numeric first row taken as the header', params: { dataset: 'csv', file: 'nums.csv', columns: 3, labels: 'none', header: 'yes' }, tokens: [] },
  { name: 'text', params: { dataset: 'text', file: 'words.txt', context: 8 }, tokens: ['x', 'y'] },
  { name: 'grey images by class folder', params: { dataset: 'images', file: 'grey.zip', height: 2, width: 3, channels: 1, labels: 'folders', layout: 'image', range: 'signed' }, tokens: ['y'] },
  { name: 'colour images', params: { dataset: 'images', file: 'colour.zip', height: 2, width: 2, channels: 3, layout: 'flat', range: 'unit' }, tokens: [] },
];
const USER_SPLIT = opts(9, { validationSplit: 0.3, shuffle: false });
const user = USER_CASES.map((c) => ({
  ...c,
  validation: askExamples(c.params, 'validation', USER_SPLIT, [[0, 1000]], {}, TMP),
  train: askExamples(c.params, 'train', USER_SPLIT, [[0, 1000]], {}, TMP),
}));
const USER_ERRORS: { name: string; params: DataParamsInput }[] = [
  { name: 'a CSV cell that is not a number', params: { dataset: 'csv', file: 'bad.csv', columns: 2 } },
  { name: 'a text line with a digit', params: { dataset: 'text', file: 'bad.txt', context: 8 } },
  { name: 'a text line longer than the context', params: { dataset: 'text', file: 'long.txt', context: 8 } },
];
const userErrors = USER_ERRORS.map((c) => ({ ...c, answer: ask<{ message: string | null }>({ op: 'load-error', params: c.params, split: 'train', dataDir: TMP, ...USER_SPLIT }) }));
const pillow = ask<{ pillow: boolean }>({ op: 'has-pillow' });

// safetensors: a file GenComposer writes, read and written again by Python; Python's own dtypes; damaged files.
const TENSORS: NamedTensor[] = [
  { name: 'enc.body.0.weight', dtype: 'F32', shape: [2, 4], data: Float32Array.from([1, -0, NaN, Infinity, -Infinity, 1e-45, 3.4e38, -1.5]) },
  { name: 'emb/ü', dtype: 'F32', shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) },
  { name: 'steps', dtype: 'I32', shape: [], data: Int32Array.from([-7]) },
  { name: 'counts', dtype: 'I32', shape: [3], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0]) },
  { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
];
const TS_FILE = join(TMP, 'ts.safetensors');
const PY_FILE = join(TMP, 'py.safetensors');
const tsBytes = encodeSafetensors(TENSORS, { format: 'pt', source: 'gencomposer' });
writeFileSync(TS_FILE, tsBytes);
const roundTrip = ask<{ tensors: Record<string, { dtype: string; shape: number[] }>; metadata: Record<string, string> }>({ op: 'safetensors', in: TS_FILE, out: PY_FILE });
const dtypes = ask<{ changed: string[]; names: string[]; metadata: Record<string, string> }>({ op: 'safetensors-dtypes', path: join(TMP, 'dtypes.safetensors') });

/** A header written by hand: its JSON, padded with spaces to a multiple of 8 bytes. */
function fileWithHeader(header: unknown, data: Uint8Array, claimed?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(claimed ?? padded), true);
  out.set(json, 8);
  out.set(data, 8 + padded);
  return out;
}
const DAMAGED: { name: string; bytes: Uint8Array; sameAsTs: boolean }[] = [
  { name: 'a header longer than the file', bytes: fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 4096), sameAsTs: true },
  { name: 'a gap before a tensor', bytes: fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), sameAsTs: true },
  { name: 'a shape the range does not hold', bytes: fileWithHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), sameAsTs: true },
  { name: 'data cut off', bytes: fileWithHeader({ b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(8)), sameAsTs: true },
  { name: 'bytes after the last tensor', bytes: fileWithHeader({ a: { dtype: 'I32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(12)), sameAsTs: true },
  { name: 'an unknown dtype', bytes: fileWithHeader({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), sameAsTs: false },
];
const damaged = DAMAGED.map((c, i) => {
  const path = join(TMP, `damaged-${i}.safetensors`);
  writeFileSync(path, c.bytes);
  return { ...c, path, answer: ask<{ message: string | null }>({ op: 'safetensors-error', path }) };
});

// ---------------------------------------------------------------------------

describe.skipIf(!hasTorch)('the exported data.py and weights.py against GenComposer', () => {
  let names: DataSource;

  beforeAll(async () => {
    // The names stream: a step whose batch runs from the end of one epoch into the next.
    names = await openDataSource({ dataset: 'names', context: 16 }, tsOptions(opts(2)));
    const n = names.size.train;
    const batchSize = [6, 12, 18, 30].find((b) => n % b !== 0)!;
    const step = Math.floor(n / batchSize);
    namesStream = { batchSize, step, answer: ask({ op: 'stream', params: { dataset: 'names', context: 16 }, dataDir: DATA_DIR, ...opts(2), batchSize, step, worldSizes: STREAM_WORLDS }) };
    const run = spawnSync(PYTHON, [DRIVER], { input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
    if (run.status !== 0) throw new Error(`${DRIVER} failed (${run.status ?? run.signal}): ${run.stderr}`);
    answers = JSON.parse(run.stdout) as PyAnswer[];
    expect(answers).toHaveLength(requests.length);
  }, 660_000);

  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  describe('mnist', () => {
    for (const [i, c] of MNIST_CASES.entries()) {
      it(`${c.layout} ${c.range}: the same examples at both ends of each split, in the node's layout and range`, async () => {
        const { train, validation, test } = mnist[i]!;
        const ordered = await openDataSource(mnist[i]!.params, tsOptions(opts(MNIST_SEED, { shuffle: false })));
        const source = await openDataSource(mnist[i]!.params, tsOptions(opts(MNIST_SEED)));
        const held = (await openTestSource(mnist[i]!.params, { readAsset: readPublicAsset }))!;
        expect([train().len, validation().len, test().len]).toEqual([source.size.train, source.size.validation, held.size]);
        expect([train().len, validation().len, test().len]).toEqual([MNIST_SPLIT_SIZES.train, MNIST_SPLIT_SIZES.validation, MNIST_SPLIT_SIZES.test]);
        expectSameBatch(train().batch, concatRanges((s, n) => ordered.trainBatch(s, n), edges(source.size.train)), ['y']);
        expectSameBatch(validation().batch, concatRanges((s, n) => source.validationBatch(s, n), edges(source.size.validation)), ['y']);
        expectSameBatch(test().batch, concatRanges((s, n) => held.batch(s, n), edges(held.size)), ['y']);
        const x = [train(), validation(), test()].flatMap((a) => a.batch.x!.values);
        expect(train().batch.x!.shape.slice(1)).toEqual(c.layout === 'image' ? [28, 28, 1] : [784]);
        const lo = Math.min(...x);
        const hi = Math.max(...x);
        if (c.range === 'binary') expect(new Set(x)).toEqual(new Set([0, 1]));
        else expect([lo, hi]).toEqual(c.range === 'signed' ? [-1, 1] : [0, 1]);
      });
    }

    it('the same validation and test labels, in order; the test split is the same for every seed', async () => {
      const source = await openDataSource({ dataset: 'mnist' }, tsOptions(opts(MNIST_SEED)));
      const held = (await openTestSource({ dataset: 'mnist' }, { readAsset: readPublicAsset }))!;
      expect(mnistLabels.validation().batch.y!.values).toEqual(values(source.validationBatch(0, 1000)).y!.values);
      expect(mnistLabels.test().batch.y!.values).toEqual(values(held.batch(0, 1000)).y!.values);
      expect(mnistLabels.otherSeed().batch.y!.values).toEqual(mnistLabels.test().batch.y!.values);
      expect(Object.keys(mnistLabels.test().batch)).toEqual(['y']);
    });
  });

  describe('names and reverse-strings', () => {
    for (const [i, c] of TEXT_CASES.entries()) {
      it(`${c.params.dataset} at context ${c.params.context}: the same split sizes, validation rows, training rows and decoded text`, async () => {
        const { validation, train } = text[i]!;
        const source = await openDataSource(c.params, tsOptions(opts(c.seed)));
        const ordered = await openDataSource(c.params, tsOptions(opts(c.seed, { shuffle: false })));
        const tokens = c.params.dataset === 'names' ? ['x', 'y'] : ['x', 'yIn', 'y'];
        expect([train().len, validation().len]).toEqual([source.size.train, source.size.validation]);
        expect(validation().ports).toEqual(tokens.length === 2 ? ['x', 'y'] : ['x', 'yIn', 'y']);
        const ts = values(source.validationBatch(0, source.size.validation));
        expectSameBatch(validation().batch, ts, tokens);
        const tsTrain = concatRanges((s, n) => ordered.trainBatch(s, n), [[0, 50], ...(source.size.train > 17_000 ? ([[17_000, 10]] as [number, number][]) : [])]);
        expectSameBatch(train().batch, tsTrain, tokens);
        expect(validation().vocabulary).toEqual([...CHAR_VOCAB]);
        const width = c.params.context;
        const rows = Array.from({ length: source.size.validation }, (_, r) => ts.x!.values.slice(r * width, (r + 1) * width));
        expect(validation().decoded).toEqual(rows.map((row) => source.decode!(row)));
      });
    }
  });

  describe('2D toy sets', () => {
    const moments = (v: readonly number[], axis: number) => {
      const xs = v.filter((_, i) => i % 2 === axis);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
    };
    for (const [i, dataset] of TOY_2D.entries()) {
      it(`${dataset}: the same pool and split (to float32 rounding), the same moments, inside the distribution's support`, async () => {
        const py = toys[i]!.validation();
        const source = await openDataSource({ dataset }, tsOptions(opts(TOY_SEED)));
        const ts = values(source.validationBatch(0, source.size.validation)).x!;
        expect(py.len).toBe(source.size.validation);
        expect(py.batch.x!.shape).toEqual(ts.shape);
        expect(py.batch.x!.dtype).toBe('float32');
        const p = py.batch.x!.values;
        // The same draws: sin, cos and log may differ in their last bit between JavaScript and Python.
        expect(Math.max(...p.map((v, k) => Math.abs(v - ts.values[k]!)))).toBeLessThan(1e-5);
        for (const axis of [0, 1]) {
          const [a, b] = [moments(p, axis), moments(ts.values, axis)];
          expect(Math.abs(a.mean - b.mean)).toBeLessThan(1e-6);
          expect(Math.abs(a.std - b.std)).toBeLessThan(1e-6);
        }
        const points = Array.from({ length: p.length / 2 }, (_, k) => [p[2 * k]!, p[2 * k + 1]!] as const);
        if (dataset === 'two-moons') {
          for (const axis of [0, 1]) {
            expect(Math.abs(moments(p, axis).mean)).toBeLessThan(0.1);
            expect(Math.abs(moments(p, axis).std - 1)).toBeLessThan(0.1);
          }
        } else if (dataset === 'eight-gaussians') {
          const nearest = points.map(([x, y]) => EIGHT_GAUSSIANS_CENTRES.map(([cx, cy]) => Math.hypot(x - cx, y - cy)));
          expect(nearest.every((d) => Math.min(...d) < 0.15)).toBe(true);
          expect(new Set(nearest.map((d) => d.indexOf(Math.min(...d)))).size).toBe(8);
        } else if (dataset === 'checkerboard') {
          expect(points.every(([x, y]) => Math.abs(x) <= 4 && Math.abs(y) <= 4 && (Math.floor(x / 2) + Math.floor(y / 2)) % 2 === 0)).toBe(true);
        } else if (dataset === 'rings') {
          expect(points.every(([x, y]) => RINGS_RADII.some((r) => Math.abs(Math.hypot(x, y) - r) < 0.4))).toBe(true);
        } else {
          expect(points.every(([x, y]) => Math.abs(x) < 4.5 && Math.abs(y) < 4.5)).toBe(true);
        }
      });
    }
  });

  describe('training batches', () => {
    function expectRanksMakeTheGlobalBatch(answer: Stream, global: Record<string, { shape: number[]; values: number[] }>, tokens: string[]): void {
      for (const world of STREAM_WORLDS) {
        const ranks = answer[String(world)]!;
        expect(ranks).toHaveLength(world);
        const joined: PyBatch = {};
        for (const port of Object.keys(ranks[0]!)) {
          const parts = ranks.map((r) => r[port]!);
          for (const part of parts) expect(part.shape[0]).toBe(global[port]!.shape[0]! / world);
          joined[port] = { dtype: parts[0]!.dtype, shape: [parts.reduce((n, q) => n + q.shape[0]!, 0), ...parts[0]!.shape.slice(1)], values: parts.flatMap((q) => q.values) };
        }
        expectSameBatch(joined, global, tokens);
      }
    }

    it('names: the ranks of 2 and 3 processes together read the one-process batch, across an epoch boundary, as GenComposer reads step k', () => {
      const { batchSize, step, answer } = namesStream!;
      expect(step * batchSize).toBeLessThan(names.size.train);
      expect((step + 1) * batchSize).toBeGreaterThan(names.size.train);
      const global = values(names.trainBatch(step * batchSize, batchSize));
      expectRanksMakeTheGlobalBatch(answer(), global, ['x', 'y']);
      const [first, second] = answer().generator;
      expectSameBatch(first!, global, ['x', 'y']);
      expectSameBatch(second!, values(names.trainBatch((step + 1) * batchSize, batchSize)), ['x', 'y']);
    });

    it('mnist images: the same split of a step over ranks, floats included', async () => {
      const source = await openDataSource(mnistStream.params, tsOptions(opts(mnistStream.seed)));
      const global = values(source.trainBatch(mnistStream.step * mnistStream.batchSize, mnistStream.batchSize));
      expectRanksMakeTheGlobalBatch(mnistStreamAnswer(), global, ['y']);
    });
  });

  describe("the user's own files", () => {
    for (const [i, c] of USER_CASES.entries()) {
      it(`${c.name}: the same examples in both splits`, async () => {
        if (c.params.dataset === 'images' && !pillow().pillow) {
          console.warn(`python-data: ${c.name} not compared, ${PYTHON} cannot import PIL (Pillow); checking that data.py says so`);
          expect(() => user[i]!.train()).toThrow(/pip install pillow/);
          return;
        }
        const source = await openDataSource(c.params, tsOptions(USER_SPLIT, USER_FILES));
        const { train, validation } = user[i]!;
        expect([train().len, validation().len]).toEqual([source.size.train, source.size.validation]);
        expectSameBatch(train().batch, values(source.trainBatch(0, source.size.train)), c.tokens);
        expectSameBatch(validation().batch, values(source.validationBatch(0, source.size.validation)), c.tokens);
      });
    }

    it('csv labels are the sorted distinct labels, as GenComposer numbers them', () => {
      expect(user[0]!.train().classes).toEqual(['ant', 'ca"t', 'cat', 'dog']);
      expect(user[1]!.train().classes).toEqual(['2', '3', '10']);
    });

    for (const c of userErrors) {
      it(`${c.name}: the same message as GenComposer`, async () => {
        const ts = await openDataSource(c.params, tsOptions(USER_SPLIT, USER_FILES)).then(
          () => undefined,
          (error: Error) => error.message,
        );
        expect(ts).toBeDefined();
        expect(c.answer().message).toBe(ts);
      });
    }
  });

  describe('safetensors', () => {
    it('GenComposer writes, Python reads and writes back the same bytes, GenComposer reads the same tensors', () => {
      const read = roundTrip();
      expect(read.metadata).toEqual({ format: 'pt', source: 'gencomposer' });
      expect(read.tensors).toEqual(Object.fromEntries(TENSORS.map((t) => [t.name, { dtype: t.dtype, shape: [...t.shape] }])));
      const back = readFileSync(PY_FILE);
      expect(Buffer.compare(back, Buffer.from(tsBytes))).toBe(0);
      const decoded = decodeSafetensors(new Uint8Array(back.buffer, back.byteOffset, back.byteLength), PY_FILE);
      expect(decoded.metadata).toEqual({ format: 'pt', source: 'gencomposer' });
      for (const t of TENSORS) {
        const got = decoded.tensors.find((d) => d.name === t.name)!;
        expect([got.dtype, got.shape]).toEqual([t.dtype, [...t.shape]]);
        expect(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength)).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      }
    });

    it('Python keeps every dtype it writes (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL), scalars and empty tensors, bit for bit', () => {
      const answer = dtypes();
      expect(answer.changed).toEqual([]);
      expect(answer.names).toHaveLength(12);
      expect(answer.metadata).toEqual({ format: 'pt' });
    });

    for (const c of damaged) {
      it(`refuses ${c.name} in one line naming the file${c.sameAsTs ? ', as GenComposer words it' : ' and the tensor'}`, () => {
        const message = c.answer().message;
        expect(message).not.toBeNull();
        expect(message).not.toContain('\n');
        expect(message!.startsWith(`${c.path}: `)).toBe(true);
        let ts: string | undefined;
        try {
          decodeSafetensors(c.bytes, c.path);
        } catch (error) {
          expect(error).toBeInstanceOf(SafetensorsError);
          ts = (error as Error).message;
        }
        expect(ts).toBeDefined();
        if (c.sameAsTs) expect(message).toBe(ts);
        else expect(message).toMatch(/tensor "a" has dtype Q4/);
      });
    }
  });
});

describe('exportedDataFiles', () => {
  const doc = (nodes: { id: string; params: Record<string, unknown> }[], modules: { id: string; nodes: { id: string; params: Record<string, unknown> }[] }[] = []) =>
    zGraphDocument.parse({
      format: 'gencomposer.graph',
      version: 3,
      meta: { name: 't' },
      nodes: nodes.map((n) => ({ ...n, kind: 'Data', position: { x: 0, y: 0 } })),
      edges: [],
      modules: modules.map((m) => ({ id: m.id, name: m.id, nodes: m.nodes.map((n) => ({ ...n, kind: 'Data', position: { x: 0, y: 0 } })), edges: [] })),
    });

  it('names each shipped file and user file once, with the nodes reading it, sorted by its path in the project', () => {
    const files = exportedDataFiles(
      doc(
        [
          { id: 'digits', params: { dataset: 'mnist', layout: 'image' } },
          { id: 'more', params: { dataset: 'mnist' } },
          { id: 'words', params: { dataset: 'names', context: 8 } },
          { id: 'table', params: { dataset: 'csv', file: 'sets/iris.csv', columns: 4 } },
          // A file param left from another dataset is not read, so not copied.
          { id: 'moons', params: { dataset: 'two-moons', file: 'old.csv' } },
        ],
        [{ id: 'm', nodes: [{ id: 'pics', params: { dataset: 'images', file: 'pics.zip' } }] }],
      ),
    );
    expect(files).toEqual([
      { kind: 'asset', asset: 'data/mnist.bin', path: 'data/mnist.bin', nodes: ['digits', 'more'] },
      { kind: 'asset', asset: 'data/names.txt', path: 'data/names.txt', nodes: ['words'] },
      { kind: 'user', name: 'pics.zip', path: 'data/pics.zip', nodes: ['m/pics'] },
      { kind: 'user', name: 'sets/iris.csv', path: 'data/sets/iris.csv', nodes: ['table'] },
    ]);
    expect(exportedDataFiles(doc([{ id: 'roll', params: { dataset: 'swiss-roll' } }]))).toEqual([]);
  });

  it('refuses a user file landing on a shipped file, a file inside another, a user dataset without a file, and bad params', () => {
    expect(() => exportedDataFiles(doc([{ id: 'd', params: { dataset: 'mnist' } }, { id: 't', params: { dataset: 'text', file: 'mnist.bin' } }]))).toThrow(/"t" reads a file of yours named "mnist.bin", which would land on data\/mnist.bin/);
    expect(() => exportedDataFiles(doc([{ id: 'a', params: { dataset: 'images', file: 'set' } }, { id: 'b', params: { dataset: 'csv', file: 'set/x.csv' } }]))).toThrow(/data\/set \(read by a\) and data\/set\/x.csv \(read by b\)/);
    expect(() => exportedDataFiles(doc([{ id: 'c', params: { dataset: 'csv' } }]))).toThrow(/"c" reads a csv file of yours but names none/);
    expect(() => exportedDataFiles(doc([{ id: 'c', params: { dataset: 'csv', file: '../secret' } }]))).toThrow(/"c" has invalid params: file/);
  });
});
