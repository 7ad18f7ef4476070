/**
 * Holds a fused form against its unfused graph on one backend: the same
 * values, and the same gradients of a weighted sum of the output with
 * respect to every input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { Rng } from '../../src/core/base/random.ts';

export function randomTensor(rng: Rng, shape: number[], scale = 1, offset = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => offset + (rng.uniform() * 2 - 1) * scale), shape);
}

function expectNear(actual: Float32Array, expected: Float32Array, tolerance: number, what: string) {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(error <= worst)) {
      worst = error;
      at = i;
    }
  }
  expect(worst, `${what}: worst at [${at}]: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(tolerance);
}

/**
 * fused(...inputs) against unfused(...inputs): outputs, and gradients of
 * Σ output·w for a random w (so every output element weighs differently).
 */
export async function expectSameAsUnfused(
  what: string,
  fused: (...xs: tf.Tensor[]) => tf.Tensor,
  unfused: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  seed: number,
  tolerance = 2e-5,
): Promise<void> {
  const rng = new Rng(seed);
  const probe = unfused(...inputs);
  const weights = randomTensor(rng, probe.shape);
  if (!inputs.includes(probe)) probe.dispose();
  const run = async (f: (...xs: tf.Tensor[]) => tf.Tensor) => {
    const out = f(...inputs);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weights)))(inputs);
    const values = [await out.data(), ...(await Promise.all(grads.map((g) => g.data())))] as Float32Array[];
    // A pass-through (linear) returns its input, which the caller still holds.
    tf.dispose([...(inputs.includes(out) ? [] : [out]), ...grads]);
    return values;
  };
  const [mine, reference] = [await run(fused), await run(unfused)];
  expectNear(mine[0]!, reference[0]!, tolerance, `${what}: output`);
  inputs.forEach((_, i) => expectNear(mine[i + 1]!, reference[i + 1]!, tolerance, `${what}: gradient of input ${i}`));
  weights.dispose();
}
