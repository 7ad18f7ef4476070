/**
 * Sample-quality metrics in a feature space (a classifier's penultimate
 * layer, as FID uses Inception's): the Fréchet distance between Gaussian
 * fits of two sets of features, and k-nearest-neighbour precision and
 * recall (Kynkäänniemi et al., 2019). Plain arrays in double precision: the
 * sets are a few thousand vectors of at most a few hundred features.
 *
 * A set is `count` rows of `dim` features, row-major.
 */

export interface FeatureSet {
  values: Float64Array | Float32Array;
  count: number;
  dim: number;
}

function checkSet(set: FeatureSet, what: string): void {
  if (!Number.isInteger(set.count) || !Number.isInteger(set.dim) || set.count < 2 || set.dim < 1) {
    throw new RangeError(`${what}: needs at least 2 rows of at least 1 feature, got ${set.count} × ${set.dim}`);
  }
  if (set.values.length !== set.count * set.dim) throw new RangeError(`${what}: ${set.values.length} values for ${set.count} × ${set.dim}`);
  for (const v of set.values) if (!Number.isFinite(v)) throw new RangeError(`${what}: a feature is not finite (${v})`);
}

/** The mean and the (unbiased, n − 1) covariance of a set's rows. */
export function meanAndCovariance(set: FeatureSet): { mean: Float64Array; covariance: Float64Array } {
  const { values, count, dim } = set;
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j]! += values[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = values[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) covariance[a * dim + b]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = covariance[a * dim + b]! / (count - 1);
      covariance[a * dim + b] = v;
      covariance[b * dim + a] = v;
    }
  }
  return { mean, covariance };
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric n × n
 * matrix, by cyclic Jacobi rotations: slow for big n, exact to rounding and
 * free of any library.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const scale = Math.max(1e-300, ...Array.from(a, Math.abs));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (Math.sqrt(off) <= 1e-15 * scale * n) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/** The symmetric square root of a symmetric positive semi-definite matrix (negative rounding noise clipped to 0). */
function sqrtPsd(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(0, values[k]!));
    if (root === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * root;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors[j * n + k]!;
    }
  }
  return out;
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b[k * n + j]!;
    }
  }
  return out;
}

/**
 * The Fréchet distance between Gaussian fits of two feature sets:
 * ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½). Zero for identical sets;
 * FID when the features are Inception's.
 */
export function frechetDistance(a: FeatureSet, b: FeatureSet): number {
  checkSet(a, 'the first set');
  checkSet(b, 'the second set');
  if (a.dim !== b.dim) throw new RangeError(`the sets have ${a.dim} and ${b.dim} features`);
  const n = a.dim;
  const fa = meanAndCovariance(a);
  const fb = meanAndCovariance(b);
  let meanTerm = 0;
  for (let j = 0; j < n; j++) meanTerm += (fa.mean[j]! - fb.mean[j]!) ** 2;
  let traces = 0;
  for (let j = 0; j < n; j++) traces += fa.covariance[j * n + j]! + fb.covariance[j * n + j]!;
  const rootA = sqrtPsd(fa.covariance, n);
  const middle = multiply(multiply(rootA, fb.covariance, n), rootA, n);
  // Symmetrise: the product is symmetric up to rounding.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) middle[i * n + j] = middle[j * n + i] = (middle[i * n + j]! + middle[j * n + i]!) / 2;
  const { values } = symmetricEigen(middle, n);
  let crossTrace = 0;
  for (const v of values) crossTrace += Math.sqrt(Math.max(0, v));
  return Math.max(0, meanTerm + traces - 2 * crossTrace);
}

function squaredDistances(from: FeatureSet, to: FeatureSet): Float64Array {
  const out = new Float64Array(from.count * to.count);
  const d = from.dim;
  for (let i = 0; i < from.count; i++) {
    for (let j = 0; j < to.count; j++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += (from.values[i * d + k]! - to.values[j * d + k]!) ** 2;
      out[i * to.count + j] = sum;
    }
  }
  return out;
}

/** Each row's squared distance to its k-th nearest other row of the same set: the radius of its ball in the manifold estimate. */
function kthNeighbourRadii(set: FeatureSet, k: number): Float64Array {
  const distances = squaredDistances(set, set);
  const radii = new Float64Array(set.count);
  const row = new Float64Array(set.count - 1);
  for (let i = 0; i < set.count; i++) {
    let at = 0;
    for (let j = 0; j < set.count; j++) if (j !== i) row[at++] = distances[i * set.count + j]!;
    radii[i] = row.sort()[Math.min(k, row.length) - 1]!;
  }
  return radii;
}

/** Share of `samples` inside the union of `reference`'s k-NN balls. */
function coverage(samples: FeatureSet, reference: FeatureSet, k: number): number {
  const radii = kthNeighbourRadii(reference, k);
  const distances = squaredDistances(samples, reference);
  let inside = 0;
  for (let i = 0; i < samples.count; i++) {
    for (let j = 0; j < reference.count; j++) {
      if (distances[i * reference.count + j]! <= radii[j]!) {
        inside += 1;
        break;
      }
    }
  }
  return inside / samples.count;
}

/**
 * Improved precision and recall (Kynkäänniemi et al., 2019): precision is
 * the share of generated samples inside the real data's manifold (the union
 * of balls reaching each real feature's k-th nearest real neighbour);
 * recall the share of real data inside the generated samples' manifold.
 * Sharp but few kinds of digit: high precision, low recall.
 */
export function precisionRecall(real: FeatureSet, generated: FeatureSet, k = 3): { precision: number; recall: number } {
  checkSet(real, 'the real set');
  checkSet(generated, 'the generated set');
  if (real.dim !== generated.dim) throw new RangeError(`the sets have ${real.dim} and ${generated.dim} features`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  return { precision: coverage(generated, real, k), recall: coverage(real, generated, k) };
}
