import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/base/random.ts';
import { frechetDistance, meanAndCovariance, precisionRecall, symmetricEigen, type FeatureSet } from '../../src/core/train/feature-metrics.ts';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const set = (rows: number[][]): FeatureSet => ({ values: Float64Array.from(rows.flat()), count: rows.length, dim: rows[0]!.length });

function gaussianSet(rng: Rng, count: number, dim: number, shift = 0, scale = 1): FeatureSet {
  const values = new Float64Array(count * dim);
  for (let i = 0; i < values.length; i++) values[i] = shift + scale * rng.normal();
  // Correlate the features a little, so the covariances do not commute.
  for (let i = 0; i < count; i++) for (let j = 1; j < dim; j++) values[i * dim + j]! += 0.5 * values[i * dim + j - 1]!;
  return { values, count, dim };
}

describe('feature-space metrics', () => {
  it('diagonalises a symmetric matrix: A v = λ v for every pair', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += a[i * 3 + j]! * vectors[j * 3 + k]!;
        expect(av).toBeCloseTo(values[k]! * vectors[i * 3 + k]!, 10);
      }
    }
    expect([...values].reduce((s, v) => s + v, 0)).toBeCloseTo(12, 10);
  });

  it('the Fréchet distance of a set to itself is 0, and of diagonal fits is the closed form', () => {
    const a = set([[2, 0], [-2, 0], [0, 1], [0, -1]]);
    expect(frechetDistance(a, a)).toBeLessThan(1e-12);
    // Covariances diag(8/3, 2/3) and diag(2/3, 32/3) (n − 1 = 3), means 0 and (1, −2).
    const b = set([[1 + 1, -2], [1 - 1, -2], [1, -2 + 4], [1, -2 - 4]]);
    const { covariance: ca } = meanAndCovariance(a);
    expect([...ca]).toEqual([8 / 3, 0, 0, 2 / 3]);
    const expected = 1 + 4 + (Math.sqrt(8 / 3) - Math.sqrt(2 / 3)) ** 2 + (Math.sqrt(2 / 3) - Math.sqrt(32 / 3)) ** 2;
    expect(frechetDistance(a, b)).toBeCloseTo(expected, 10);
    expect(frechetDistance(b, a)).toBeCloseTo(expected, 10);
  });

  it('grows with the gap between the sets', () => {
    const rng = new Rng(3);
    const real = gaussianSet(rng, 300, 6);
    const near = gaussianSet(rng, 300, 6, 0.1);
    const far = gaussianSet(rng, 300, 6, 1);
    const wide = gaussianSet(rng, 300, 6, 0, 3);
    expect(frechetDistance(real, near)).toBeLessThan(frechetDistance(real, far));
    expect(frechetDistance(real, far)).toBeLessThan(frechetDistance(real, wide));
  });

  it.skipIf(!hasTorch)('agrees with PyTorch in float64 (a different route: the eigenvalues of Σ₁Σ₂)', () => {
    const rng = new Rng(11);
    const a = gaussianSet(rng, 200, 12);
    const b = gaussianSet(rng, 150, 12, 0.3, 1.4);
    const script = [
      'import json, sys, torch',
      'r = json.load(sys.stdin)',
      'a = torch.tensor(r["a"], dtype=torch.float64).reshape(-1, r["dim"])',
      'b = torch.tensor(r["b"], dtype=torch.float64).reshape(-1, r["dim"])',
      'ma, mb = a.mean(0), b.mean(0)',
      'ca, cb = torch.cov(a.T), torch.cov(b.T)',
      'cross = torch.linalg.eigvals(ca @ cb).real.clamp(min=0).sqrt().sum()',
      'print(float(((ma - mb) ** 2).sum() + torch.trace(ca) + torch.trace(cb) - 2 * cross))',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify({ a: [...a.values], b: [...b.values], dim: 12 }), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const torch = Number(run.stdout.trim());
    expect(Math.abs(frechetDistance(a, b) - torch)).toBeLessThan(1e-8 * Math.max(1, torch));
  });

  it('precision and recall: 1 for the same set, 0 for a set far away, and a single mode is precise without recall', () => {
    const rng = new Rng(5);
    const real = gaussianSet(rng, 200, 4);
    expect(precisionRecall(real, real)).toEqual({ precision: 1, recall: 1 });
    const far = gaussianSet(rng, 200, 4, 50);
    expect(precisionRecall(real, far)).toEqual({ precision: 0, recall: 0 });
    // Forty samples of one real point, barely varied (a collapsed mode): inside the real manifold, covering little of it.
    const point = [...real.values.subarray(0, 4)];
    const mode = set(Array.from({ length: 40 }, () => point.map((v) => v + 1e-3 * rng.normal())));
    const { precision, recall } = precisionRecall(real, mode);
    expect(precision).toBe(1);
    expect(recall).toBeLessThan(0.05);
  });

  it('refuses sets it cannot compare, saying why', () => {
    const a = set([[1, 2], [3, 4]]);
    expect(() => frechetDistance(a, set([[1], [2]]))).toThrow(/2 and 1 features/);
    expect(() => frechetDistance(a, set([[1, 2]]))).toThrow(/at least 2 rows/);
    expect(() => frechetDistance(a, set([[1, Number.NaN], [0, 0]]))).toThrow(/not finite/);
    expect(() => precisionRecall(a, a, 0)).toThrow(/k must be/);
  });
});
