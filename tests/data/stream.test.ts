import { describe, expect, it } from 'vitest';
import { openDataSource } from '../../src/core/data/index.ts';
import { keys, options } from './data-helpers.ts';

describe('the training stream', () => {
  it('reads any stretch directly, the same as reading in order (so resumes see the same batches)', async () => {
    const sequential = await openDataSource({ dataset: 'two-moons' }, options(4));
    const direct = await openDataSource({ dataset: 'two-moons' }, options(4));
    const batch = 700;
    // 60 batches of 700 cross two epochs of 18,000 points.
    const inOrder = Array.from({ length: 60 }, () => keys(sequential.nextBatch(batch)));
    for (const step of [0, 1, 25, 26, 51, 59]) expect(keys(direct.trainBatch(step * batch, batch))).toEqual(inOrder[step]);
  });

  it('shuffles each epoch afresh and covers every example once per epoch', async () => {
    const source = await openDataSource({ dataset: 'eight-gaussians' }, options(2));
    const n = source.size.train;
    const first = keys(source.trainBatch(0, n));
    const second = keys(source.trainBatch(n, n));
    expect(new Set(first).size).toBe(n);
    expect(new Set(second)).toEqual(new Set(first));
    expect(second).not.toEqual(first);
  });

  it('rejects a negative position', async () => {
    const source = await openDataSource({ dataset: 'rings' }, options(1));
    expect(() => source.trainBatch(-1, 4)).toThrow(RangeError);
  });
});
