import { describe, expect, it } from 'vitest';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { openDataSource } from '../../src/core/data/index.ts';
import { loadNames, nameRows } from '../../src/core/data/names.ts';
import { decodeTokens, letterTokens, normalizeNames, parseNamesText } from '../../src/core/data/text.ts';
import { CHAR_VOCAB } from '../../src/core/data/datasets.ts';
import { drawKeys, options, read, validationKeys } from './data-helpers.ts';

const names = await loadNames(readPublicAsset);

describe('names.txt', () => {
  it('holds 8,403 distinct lowercase a-z names, sorted', () => {
    expect(names).toHaveLength(8403);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !/^[a-z]+$/.test(n))).toEqual([]);
    expect([...names].sort()).toEqual(names);
    expect(names).toContain('emma');
    expect(names).toContain('aaron');
    expect(Math.max(...names.map((n) => n.length))).toBe(13);
  });

  it('normalizes: lowercase, a-z only, deduplicated', () => {
    expect(normalizeNames(['Emma', 'emma', 'Jo-Ann', ' Liam ', 'Zoë'])).toEqual({ names: ['emma', 'liam'], rejected: ['Jo-Ann', 'Zoë'] });
    expect(parseNamesText('b\r\na\n\n')).toEqual(['a', 'b']);
  });

  it('drops the names longer than context - 1 letters', () => {
    expect(nameRows(names, 16).dropped).toHaveLength(0);
    expect(nameRows(names, 12).dropped).toHaveLength(5);
    const at8 = nameRows(names, 8);
    expect(at8.dropped).toHaveLength(1418);
    expect(at8.kept).toHaveLength(8403 - 1418);
    expect(Math.max(...at8.kept.map((n) => n.length))).toBe(7);
  });
});

describe('tokens', () => {
  it('lay out one name by hand: [1, letters, 1] padded, x the first context, y shifted by one', () => {
    // e=6, m=14, a=2
    expect(letterTokens('emma')).toEqual([6, 14, 14, 2]);
    const { tokens } = nameRows(['emma'], 8);
    expect([...tokens]).toEqual([1, 6, 14, 14, 2, 1, 0, 0, 0]);
    // A name of exactly context - 1 letters fills every position of y.
    expect([...nameRows(['abc'], 4).tokens]).toEqual([1, 2, 3, 4, 1]);
  });

  it('decode back to text, stopping at the end token or padding', () => {
    expect(decodeTokens([1, 6, 14, 14, 2, 1, 0, 0])).toBe('emma');
    expect(decodeTokens([6, 14, 14, 2, 1, 0, 0, 0])).toBe('emma');
    expect(decodeTokens([1, 6, 1, 14])).toBe('e');
    expect(decodeTokens([2, 0, 3])).toBe('a');
    expect(decodeTokens([1, 1])).toBe('');
    expect(decodeTokens([27, 99])).toBe('z?');
  });
});

describe('names source', () => {
  it('gives x and y int32 [B, context], y the next character of x', async () => {
    const source = await openDataSource({ dataset: 'names', context: 16 }, options(1));
    expect(source.vocabulary).toEqual(CHAR_VOCAB);
    const b = read(source.nextBatch(64));
    expect([b.x!.shape, b.x!.dtype, b.y!.shape, b.y!.dtype]).toEqual([[64, 16], 'int32', [64, 16], 'int32']);
    for (let i = 0; i < 64; i++) {
      const x = b.x!.rows[i]!;
      const y = b.y!.rows[i]!;
      expect(x[0]).toBe(1);
      expect(x.slice(1)).toEqual(y.slice(0, 15));
      const name = source.decode!(x);
      expect(source.decode!(y)).toBe(name);
      expect(y.slice(0, name.length + 1)).toEqual([...letterTokens(name), 1]);
      expect(y.slice(name.length + 1).every((t) => t === 0)).toBe(true);
      expect([...x, ...y].every((t) => Number.isInteger(t) && t >= 0 && t < 28)).toBe(true);
    }
    const v = read(source.validationBatch(0, 10));
    expect([v.x!.shape, v.y!.shape]).toEqual([[10, 16], [10, 16]]);
  });

  it('splits by seed: no name both in training and validation; trainingTexts is the training part', async () => {
    const source = await openDataSource({ dataset: 'names', context: 16 }, options(4));
    expect(source.size).toEqual({ train: 7563, validation: 840 });
    const train = drawKeys(source, source.size.train, 1000);
    const val = validationKeys(source, 300);
    expect(new Set(train).size).toBe(7563); // one epoch: each training name once
    expect(new Set(val).size).toBe(840);
    const decodeKey = (k: string) => source.decode!(k.split('|')[0]!.split(',').map(Number));
    const trainNames = new Set(train.map(decodeKey));
    expect(trainNames).toEqual(source.trainingTexts);
    expect(val.filter((k) => source.trainingTexts!.has(decodeKey(k)))).toEqual([]);
    expect(new Set([...trainNames, ...val.map(decodeKey)]).size).toBe(8403);
    // Shorter contexts drop long names before splitting.
    const short = await openDataSource({ dataset: 'names', context: 8 }, options(4));
    expect(short.size.train + short.size.validation).toBe(8403 - 1418);
  });

  it('is the same for a seed and differs across seeds', async () => {
    const open = (seed: number) => openDataSource({ dataset: 'names' }, options(seed));
    const [a, b, c] = await Promise.all([open(8), open(8), open(9)]);
    const ka = drawKeys(a, 200, 64);
    expect(drawKeys(b, 200, 64)).toEqual(ka);
    expect(drawKeys(c, 200, 64)).not.toEqual(ka);
    expect(a.trainingTexts).toEqual(b.trainingTexts);
    expect(a.trainingTexts).not.toEqual(c.trainingTexts);
  });
});
