import { describe, expect, it } from 'vitest';
import { openDataSource } from '../../src/core/data/index.ts';
import {
  EIGHT_GAUSSIANS_CENTRES,
  EIGHT_GAUSSIANS_STD,
  RINGS_RADII,
  sampleToy2D,
  TOY_POOL_SIZE,
  type Toy2DName,
} from '../../src/core/data/toy2d.ts';
import { TOY_2D } from '../../src/core/data/datasets.ts';
import { Rng } from '../../src/core/base/random.ts';
import { drawKeys, options, read, validationKeys } from './data-helpers.ts';

const N = 20_000;
const points = (name: Toy2DName, seed = 1) => {
  const flat = sampleToy2D(name, N, new Rng(seed));
  return Array.from({ length: N }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!] as const);
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
};
/** How many items fail `ok` (one expect per property, not per point). */
const failures = <T>(items: readonly T[], ok: (item: T) => boolean) => items.filter((item) => !ok(item)).length;

describe('2D toy distributions', () => {
  it('two-moons: standardized, two arcs', () => {
    const p = points('two-moons');
    const xs = p.map(([x]) => x);
    const ys = p.map(([, y]) => y);
    expect(Math.abs(mean(xs))).toBeLessThan(0.03);
    expect(Math.abs(mean(ys))).toBeLessThan(0.03);
    expect(Math.abs(std(xs) - 1)).toBeLessThan(0.03);
    expect(Math.abs(std(ys) - 1)).toBeLessThan(0.03);
    expect(failures(p, ([x, y]) => Math.abs(x) < 2.2 && Math.abs(y) < 2.2)).toBe(0);
    // In raw units every point lies within a few noise std of the upper or the lower arc.
    const nearArc = ([sx, sy]: readonly [number, number]) => {
      const x = sx * Math.sqrt(0.7525) + 0.5;
      const y = sy * 0.4966790853 + 0.25;
      return Math.min(Math.abs(Math.hypot(x, y) - 1), Math.abs(Math.hypot(x - 1, y - 0.5) - 1)) < 0.3;
    };
    expect(failures(p, nearArc)).toBe(0);
  });

  it('eight-gaussians: 8 equally likely modes of std 0.02 on the circle of radius 2', () => {
    expect(EIGHT_GAUSSIANS_CENTRES).toHaveLength(8);
    for (const [cx, cy] of EIGHT_GAUSSIANS_CENTRES) expect(Math.hypot(cx, cy)).toBeCloseTo(2, 12);
    expect(EIGHT_GAUSSIANS_CENTRES[2]![0]).toBeCloseTo(0, 12);
    expect(EIGHT_GAUSSIANS_CENTRES[2]![1]).toBeCloseTo(2, 12);
    const counts = new Array(8).fill(0);
    const offsets: number[] = [];
    let far = 0;
    for (const [x, y] of points('eight-gaussians')) {
      const d = EIGHT_GAUSSIANS_CENTRES.map(([cx, cy]) => Math.hypot(x - cx, y - cy));
      const k = d.indexOf(Math.min(...d));
      counts[k]++;
      if (d[k]! >= 6 * EIGHT_GAUSSIANS_STD) far++;
      offsets.push(x - EIGHT_GAUSSIANS_CENTRES[k]![0]);
    }
    expect(far).toBe(0);
    for (const c of counts) expect(Math.abs(c - N / 8)).toBeLessThan(200);
    expect(std(offsets)).toBeCloseTo(EIGHT_GAUSSIANS_STD, 3);
  });

  it('swiss-roll: a spiral of radius 0.94..2.83 plus noise 0.2', () => {
    const r = points('swiss-roll').map(([x, y]) => Math.hypot(x, y));
    expect(failures(r, (v) => v > 0.94 - 1.2 && v < 2.83 + 1.2)).toBe(0);
    // The roll winds out: t from 1.5 pi to 4.5 pi, radius t / 5.
    expect(mean(r)).toBeGreaterThan(1.7);
    expect(mean(r)).toBeLessThan(2.1);
  });

  it('checkerboard: uniform over 8 squares of side 2 in [-4, 4]^2', () => {
    const counts = new Map<string, number>();
    let outside = 0;
    for (const [x, y] of points('checkerboard')) {
      const i = Math.floor(x / 2);
      const j = Math.floor(y / 2);
      // The squares where floor(x / 2) + floor(y / 2) is even.
      if (Math.abs(x) > 4 || Math.abs(y) > 4 || (((i + j) % 2) + 2) % 2 !== 0) outside++;
      counts.set(`${i},${j}`, (counts.get(`${i},${j}`) ?? 0) + 1);
    }
    expect(outside).toBe(0);
    expect(counts.size).toBe(8);
    for (const c of counts.values()) expect(Math.abs(c - N / 8)).toBeLessThan(200);
  });

  it('rings: 4 equally likely circles of radius 3, 2.25, 1.5, 0.75', () => {
    const counts = new Array(4).fill(0);
    let far = 0;
    for (const [x, y] of points('rings')) {
      const r = Math.hypot(x, y);
      const d = RINGS_RADII.map((R) => Math.abs(r - R));
      const k = d.indexOf(Math.min(...d));
      if (d[k]! >= 0.35) far++;
      counts[k]++;
    }
    expect(far).toBe(0);
    for (const c of counts) expect(Math.abs(c - N / 4)).toBeLessThan(300);
  });
});

describe('2D toy sources', () => {
  for (const name of TOY_2D) {
    it(`${name}: x float32 [B, 2], a pool of 20,000 split by seed, epochs, determinism`, async () => {
      const source = await openDataSource({ dataset: name }, options(7));
      expect(source.dataset).toBe(name);
      expect(source.size).toEqual({ train: 18_000, validation: 2000 });
      expect(source.size.train + source.size.validation).toBe(TOY_POOL_SIZE);
      const b = read(source.nextBatch(32));
      expect([b.x!.shape, b.x!.dtype]).toEqual([[32, 2], 'float32']);
      expect(Object.keys(b)).toEqual(['x']);
      expect(b.x!.rows.flat().every(Number.isFinite)).toBe(true);

      const val = validationKeys(source, 700);
      const rest = drawKeys(source, 18_000 - 32, 2000);
      const epoch = new Set([...b.x!.rows.map((r) => r.join(',')), ...rest]);
      expect(epoch.size).toBe(18_000);
      expect(new Set(val).size).toBe(2000);
      expect(val.filter((k) => epoch.has(k))).toEqual([]);

      const again = await openDataSource({ dataset: name }, options(7));
      const other = await openDataSource({ dataset: name }, options(8));
      const first = read(again.nextBatch(32)).x!.rows;
      expect(first).toEqual(b.x!.rows);
      expect(read(other.nextBatch(32)).x!.rows).not.toEqual(first);
      expect(validationKeys(again, 2000)).toEqual(val);
    });
  }

  it('reads sequentially without shuffling: every epoch in the same order', async () => {
    const source = await openDataSource({ dataset: 'rings' }, options(1, { shuffle: false, validationSplit: 0 }));
    expect(source.size).toEqual({ train: 20_000, validation: 0 });
    const epoch1 = drawKeys(source, 20_000, 3000);
    const epoch2 = drawKeys(source, 20_000, 3000);
    expect(epoch2).toEqual(epoch1);
    expect(new Set(epoch1).size).toBe(20_000);
    expect(() => source.validationBatch(0, 1)).toThrow(RangeError);
    // Shuffling does not change the examples, only their order.
    const shuffled = await openDataSource({ dataset: 'rings' }, options(1, { validationSplit: 0 }));
    const s1 = drawKeys(shuffled, 20_000, 3000);
    expect(s1).not.toEqual(epoch1);
    expect(new Set(s1)).toEqual(new Set(epoch1));
  });

  it('a batch larger than what is left of an epoch runs on into the next', async () => {
    const source = await openDataSource({ dataset: 'two-moons' }, options(2, { validationSplit: 0.5 }));
    expect(source.size.train).toBe(10_000);
    const keys = drawKeys(source, 25_000, 7000);
    expect(new Set(keys.slice(0, 10_000)).size).toBe(10_000);
    expect(new Set(keys.slice(10_000, 20_000)).size).toBe(10_000);
    expect(new Set(keys).size).toBe(10_000);
  });
});
