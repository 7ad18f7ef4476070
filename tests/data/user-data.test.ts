import { describe, expect, it } from 'vitest';
import { openDataSource, UserDataError, UserFileMissingError } from '../../src/core/data/index.ts';
import { summarizeUserData, parseUserData } from '../../src/core/data/user-data.ts';
import { userFileNameProblem, toUserFileName } from '../../src/core/data/user-file-name.ts';
import { USER_DATA_LIMITS } from '../../src/core/data/user-limits.ts';
import { dataNode } from '../../src/core/nodes/data.ts';
import { portsOf } from '../../src/core/nodes/types.ts';
import { inferNode } from '../helpers.ts';
import { options, read } from './data-helpers.ts';
import { bytes, filesReader, png, zip } from './user-file-helpers.ts';

/** 40 rows: x = (i, 2i), label "odd"/"even". */
const TABLE = `a,b,parity\n${Array.from({ length: 40 }, (_, i) => `${i},${2 * i},${i % 2 ? 'odd' : 'even'}`).join('\n')}\n`;
const IMAGES = zip(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`pics/${i < 4 ? 'a' : 'b'}/${i}.png`, png(2, 2, [0, 64, 128, 255])])));
const WORDS = 'anna\nbob\ncleo\ndan\neve\nfay\ngus\nhal\nivy\njon\n';
const readUserFile = filesReader({ 'table.csv': bytes(TABLE), 'pics.zip': IMAGES, 'words.txt': bytes(WORDS) });
const userOptions = (seed: number) => options(seed, { readUserFile });

describe('user datasets through openDataSource', () => {
  const cases = [
    { dataset: 'csv', file: 'table.csv', columns: 2, labels: 'last-column' },
    { dataset: 'csv', file: 'table.csv', columns: 2, labels: 'last-column', header: 'yes' },
    { dataset: 'images', file: 'pics.zip', height: 2, width: 2, labels: 'folders', layout: 'image' },
    { dataset: 'images', file: 'pics.zip', height: 2, width: 2, channels: 3 },
    { dataset: 'text', file: 'words.txt', context: 6 },
  ] as const;
  for (const raw of cases) {
    it(`${JSON.stringify(raw)}: batches match the Data node's ports and inferred shapes`, async () => {
      const params = dataNode.params.parse(raw);
      const source = await openDataSource(params, userOptions(1));
      expect(source.dataset).toBe(raw.dataset);
      const inferred = dataNode.infer!({ params, inputs: {} });
      const ports = portsOf(dataNode, params).outputs;
      for (const batch of [read(source.nextBatch(3)), read(source.validationBatch(0, 1))]) {
        expect(Object.keys(batch).sort()).toEqual(ports.map((p) => p.name).sort());
        for (const port of ports) {
          expect(batch[port.name]!.shape.slice(1)).toEqual(inferred[port.name]!.slice(1));
          expect(batch[port.name]!.dtype).toBe(port.type === 'tokens' ? 'int32' : 'float32');
        }
      }
      expect(source.trainingTexts !== undefined).toBe(raw.dataset === 'text');
    });
  }

  it('splits by the seed like the shipped datasets, and every row keeps its label', async () => {
    const source = await openDataSource({ dataset: 'csv', file: 'table.csv', labels: 'last-column' }, userOptions(3));
    expect(source.size).toEqual({ train: 36, validation: 4 });
    const batch = read(source.nextBatch(36));
    const xs = batch.x!.rows.map((r) => r[0]!).sort((a, b) => a - b);
    const all = [...xs, ...read(source.validationBatch(0, 4)).x!.rows.map((r) => r[0]!)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i));
    batch.x!.rows.forEach((row, i) => {
      expect(row[1]).toBe(2 * row[0]!);
      // classes sorted: even 0, odd 1
      expect(batch.y!.rows[i]![0]).toBe(row[0]! % 2);
    });
  });

  it('scales grey levels by range, as for MNIST', async () => {
    const levels = async (range: 'unit' | 'signed' | 'binary') =>
      read((await openDataSource({ dataset: 'images', file: 'pics.zip', height: 2, width: 2, range }, userOptions(0))).nextBatch(1)).x!.rows[0]!;
    expect(await levels('unit')).toEqual([0, 64 / 255, 128 / 255, 1].map(Math.fround));
    expect(await levels('signed')).toEqual([-1, (2 * 64) / 255 - 1, (2 * 128) / 255 - 1, 1].map(Math.fround));
    expect(await levels('binary')).toEqual([0, 0, 1, 1]);
  });

  it('makes text lines into context windows, and decodes them back', async () => {
    const source = await openDataSource({ dataset: 'text', file: 'words.txt', context: 6 }, options(0, { readUserFile, validationSplit: 0 }));
    expect(source.size).toEqual({ train: 10, validation: 0 });
    const batch = read(source.nextBatch(10));
    const anna = batch.x!.rows.findIndex((r) => source.decode!(r) === 'anna');
    // "anna" is [1, a n n a, 1] padded: x the first 6 tokens, y the next character at each position.
    expect(batch.x!.rows[anna]).toEqual([1, 2, 15, 15, 2, 1]);
    expect(batch.y!.rows[anna]).toEqual([2, 15, 15, 2, 1, 0]);
    expect(source.vocabulary).toHaveLength(28);
    expect([...source.trainingTexts!].sort()).toEqual(WORDS.trim().split('\n'));
  });

  it('says which file is missing, and that one must be named', async () => {
    await expect(openDataSource({ dataset: 'csv', file: 'nothing.csv' }, userOptions(0))).rejects.toThrow(UserFileMissingError);
    await expect(openDataSource({ dataset: 'csv', file: '' }, userOptions(0))).rejects.toThrow('no file is named: attach a csv file to the Data node');
    await expect(openDataSource({ dataset: 'csv', file: 'table.csv' }, options(0))).rejects.toThrow('table.csv cannot be read here');
    await expect(openDataSource({ dataset: 'text', file: 'pics.zip' }, userOptions(0))).rejects.toThrow('pics.zip is not UTF-8 text');
    await expect(openDataSource({ dataset: 'csv', file: 'one.csv' }, options(0, { readUserFile: filesReader({ 'one.csv': bytes('1,2\n') }), validationSplit: 0.5 }))).rejects.toThrow(
      'one.csv has 1 example, which leaves none to train on after the validation split',
    );
  });

  it('summarizes what a file holds', async () => {
    const summary = async (params: Record<string, unknown>, file: Uint8Array) => summarizeUserData(await parseUserData(dataNode.params.parse(params) as never, file));
    expect(await summary({ dataset: 'csv', file: 't.csv', labels: 'last-column' }, bytes(TABLE))).toBe('40 rows × 2 columns (with a header), 2 classes');
    expect(await summary({ dataset: 'images', file: 'p.zip', height: 2, width: 2, labels: 'folders' }, IMAGES)).toBe('10 images of 2×2×1, 2 classes');
    expect(await summary({ dataset: 'text', file: 'w.txt' }, bytes(WORDS))).toBe('10 lines, the longest 4 letters');
  });
});

describe('limits on user files', () => {
  it('refuses too many rows', () => {
    const text = '1\n'.repeat(USER_DATA_LIMITS.rows + 2);
    return expect(openDataSource({ dataset: 'csv', file: 'big.csv', columns: 1 }, options(0, { readUserFile: filesReader({ 'big.csv': bytes(text) }) }))).rejects.toThrow(
      'big.csv has more than 1,000,000 rows, the limit',
    );
  });

  it('refuses images that would take too much memory, before decoding any', async () => {
    const count = Math.floor(USER_DATA_LIMITS.pixelValues / (1024 * 1024 * 3)) + 1;
    const file = zip(Object.fromEntries(Array.from({ length: count }, (_, i) => [`${i}.png`, bytes('not decoded')])));
    await expect(openDataSource({ dataset: 'images', file: 'huge.zip', height: 1024, width: 1024, channels: 3 }, options(0, { readUserFile: filesReader({ 'huge.zip': file }) }))).rejects.toThrow(
      /huge\.zip: 86 images of 1024x1024x3 are 270,532,608 values; the limit is 268,435,456/,
    );
  });

  it('refuses a zip whose files unpack to more than the limit, from its directory alone', async () => {
    const file = zip({ 'a.png': png(1, 1, [0]) });
    // Claim a huge unpacked size in the central directory (offset 24 of its record).
    const view = new DataView(file.buffer);
    for (let i = file.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x02014b50) {
        view.setUint32(i + 24, USER_DATA_LIMITS.imageBytes + 1, true);
        break;
      }
    }
    await expect(openDataSource({ dataset: 'images', file: 'bomb.zip', height: 1, width: 1 }, options(0, { readUserFile: filesReader({ 'bomb.zip': file }) }))).rejects.toThrow(
      /bomb\.zip holds 512\.0 MB of files; the limit is 512 MB/,
    );
  });

  it('throws only UserDataError for what is wrong with a file', async () => {
    const bad = filesReader({ 'a.csv': bytes('x\n'), 'b.zip': bytes('PK'), 'c.txt': bytes('1') });
    for (const params of [
      { dataset: 'csv', file: 'a.csv' },
      { dataset: 'images', file: 'b.zip' },
      { dataset: 'text', file: 'c.txt' },
    ] as const) {
      await expect(openDataSource(params, options(0, { readUserFile: bad }))).rejects.toThrow(UserDataError);
    }
  });
});

describe('the Data node with user datasets', () => {
  it('infers shapes from the declared params alone', () => {
    expect(inferNode('Data', { dataset: 'csv', file: 'a.csv', columns: 5 }, {}).outputs).toMatchObject({ x: { shape: ['B', 5] } });
    const labelled = inferNode('Data', { dataset: 'csv', file: 'a.csv', columns: 5, labels: 'first-column' }, {}).outputs;
    expect([labelled.x?.shape, labelled.y?.shape]).toEqual([['B', 5], ['B']]);
    expect(inferNode('Data', { dataset: 'images', file: 'p.zip', height: 8, width: 6, channels: 3 }, {}).outputs).toMatchObject({ x: { shape: ['B', 144] } });
    const image = inferNode('Data', { dataset: 'images', file: 'p.zip', height: 8, width: 6, channels: 3, layout: 'image', labels: 'folders' }, {}).outputs;
    expect([image.x?.shape, image.y?.shape]).toEqual([['B', 8, 6, 3], ['B']]);
    const text = inferNode('Data', { dataset: 'text', file: 'w.txt', context: 12 }, {}).outputs;
    expect([text.x?.shape, text.y?.shape]).toEqual([['B', 12], ['B', 12]]);
  });

  it('reports a missing file, labels that do not fit the dataset, and unsafe names', () => {
    const problem = (params: Record<string, unknown>) => inferNode('Data', params, {}).analysis.diagnostics.find((d) => d.node === 'n' && d.severity === 'error');
    expect(problem({ dataset: 'csv' })).toMatchObject({ code: 'GC107', message: expect.stringContaining('Parameter "file" is invalid: the csv dataset reads a file of yours') });
    expect(problem({ dataset: 'images', file: 'p.zip', labels: 'last-column' })).toMatchObject({ code: 'GC107', message: expect.stringContaining('takes labels none or folders, not last-column') });
    expect(problem({ dataset: 'csv', file: 'a.csv', labels: 'folders' })).toMatchObject({ code: 'GC107', message: expect.stringContaining('none, first-column or last-column') });
    // A value left from another dataset is kept but not read (the inspector hides it), so it is no error.
    expect(problem({ dataset: 'mnist', labels: 'folders' })).toBeUndefined();
    expect(problem({ dataset: 'images', file: 'p.zip', channels: 2 })).toMatchObject({ code: 'GC107', message: expect.stringContaining('channels') });
    for (const file of ['../secret.csv', '/etc/passwd', 'a/../b.csv', '.hidden', 'C:\\x.csv', 'a//b.csv', 'a\\b.csv', 'x.csv ']) {
      expect(problem({ dataset: 'csv', file }), file).toMatchObject({ code: 'GC107', message: expect.stringContaining('Parameter "file" is invalid') });
    }
    for (const file of ['data.csv', 'sub/data set (2).csv', 'données.txt', 'a_b-c+d.zip']) expect(problem({ dataset: 'csv', file }), file).toBeUndefined();
    // The shipped datasets are unaffected.
    expect(problem({ dataset: 'mnist' })).toBeUndefined();
  });

  it('makes a safe name from a picked file name', () => {
    expect(toUserFileName('my data [1].csv')).toBe('my data -1-.csv');
    expect(toUserFileName('C:\\Users\\me\\..hidden.txt')).toBe('hidden.txt');
    expect(toUserFileName('...')).toBe('data');
    for (const name of ['my data [1].csv', '../../x', '.env', '∑ weird?.zip', 'a'.repeat(500)]) expect(userFileNameProblem(toUserFileName(name)), name).toBeUndefined();
  });
});
