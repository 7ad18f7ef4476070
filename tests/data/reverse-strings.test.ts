import { describe, expect, it } from 'vitest';
import { openDataSource } from '../../src/core/data/index.ts';
import { REVERSE_POOL_SIZE, reverseRows, reverseStrings } from '../../src/core/data/reverse-strings.ts';
import { CHAR_VOCAB } from '../../src/core/data/datasets.ts';
import { drawKeys, options, read, validationKeys } from './data-helpers.ts';

describe('reverse-strings', () => {
  it('lays out one example by hand', () => {
    // a=2, b=3, c=4
    const { source, target } = reverseRows(['abc'], 8);
    expect([...source]).toEqual([2, 3, 4, 0, 0, 0, 0, 0]);
    const yIn = [...target.subarray(0, 8)];
    const y = [...target.subarray(1, 9)];
    expect(y).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
    expect(yIn).toEqual([1, 4, 3, 2, 1, 0, 0, 0]);
  });

  it('draws distinct strings of 3..context-2 letters, a pool of 20,000', () => {
    const pool = reverseStrings(1, 16);
    expect(pool).toHaveLength(REVERSE_POOL_SIZE);
    expect(new Set(pool).size).toBe(pool.length);
    const lengths = new Set(pool.map((s) => s.length));
    expect(Math.min(...lengths)).toBe(3);
    expect(Math.max(...lengths)).toBe(14);
    expect(pool.filter((s) => !/^[a-z]+$/.test(s))).toEqual([]);
    // Context 5 allows only 26^3 = 17,576 strings; the pool takes what 100,000 draws give.
    const tight = reverseStrings(1, 5);
    expect(tight.length).toBeLessThan(17_576);
    expect(tight.length).toBeGreaterThan(17_000);
    expect(() => reverseStrings(1, 4)).toThrow(/at least 5/);
  });

  it('gives x, yIn and y int32 [B, context]: y reverses x and ends with 1, yIn is 1 then y shifted right', async () => {
    const source = await openDataSource({ dataset: 'reverse-strings', context: 16 }, options(2));
    expect(source.vocabulary).toEqual(CHAR_VOCAB);
    expect(source.size).toEqual({ train: 18_000, validation: 2000 });
    const b = read(source.nextBatch(100));
    for (const port of ['x', 'yIn', 'y']) expect([b[port]!.shape, b[port]!.dtype]).toEqual([[100, 16], 'int32']);
    for (let i = 0; i < 100; i++) {
      const x = b.x!.rows[i]!;
      const y = b.y!.rows[i]!;
      const yIn = b.yIn!.rows[i]!;
      const text = source.decode!(x);
      expect(text.length).toBeGreaterThanOrEqual(3);
      expect(text.length).toBeLessThanOrEqual(14);
      expect(x.slice(text.length).every((t) => t === 0)).toBe(true);
      expect(source.decode!(y)).toBe([...text].reverse().join(''));
      expect(y[text.length]).toBe(1);
      expect(y.slice(text.length + 1).every((t) => t === 0)).toBe(true);
      expect(yIn).toEqual([1, ...y.slice(0, 15)]);
    }
    const v = read(source.validationBatch(1990, 50));
    expect(v.x!.shape).toEqual([10, 16]);
  });

  it('keeps training and validation apart, covers the training part each epoch, and follows the seed', async () => {
    const source = await openDataSource({ dataset: 'reverse-strings', context: 10 }, options(3));
    const val = validationKeys(source, 1000);
    const epoch1 = drawKeys(source, 18_000, 1000);
    const epoch2 = drawKeys(source, 18_000, 1000);
    expect(new Set(epoch1).size).toBe(18_000);
    expect(new Set(epoch2)).toEqual(new Set(epoch1));
    expect(epoch2).not.toEqual(epoch1); // reshuffled
    const train = new Set(epoch1);
    expect(val.filter((k) => train.has(k))).toEqual([]);

    const same = await openDataSource({ dataset: 'reverse-strings', context: 10 }, options(3));
    const other = await openDataSource({ dataset: 'reverse-strings', context: 10 }, options(4));
    expect(drawKeys(same, 64)).toEqual(epoch1.slice(0, 64));
    expect(drawKeys(other, 64)).not.toEqual(epoch1.slice(0, 64));
  });
});
