/**
 * Tensors that do not change from step to step (masks, identity and
 * permutation matrices, a noise schedule's table, the scalars a node
 * multiplies by), made once per training session instead of once per step.
 *
 * Why: on WebGPU every tensor made from JavaScript values is an upload, and
 * TF.js ends the running compute pass for each one; a Glow step made 152 of
 * them. A session holds one ConstantCache and disposes it with itself; a
 * forward run outside a session gets `freshConstants`, which makes each
 * tensor anew (the caller's tidy disposes it), as the ops did before.
 *
 * A cached tensor belongs to the cache: never dispose it, and return a
 * tf.clone of it (no copy, no dispatch) where it is a node's output.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface Constants {
  /** The tensor `make` gives, made once per key (the key must name all it depends on: kind of value, shape, params). */
  get<T extends tf.Tensor>(key: string, make: () => T): T;
  /** A scalar of this value, made once. */
  scalar(value: number): tf.Scalar;
}

/** No cache: every request makes a new tensor, owned by the caller. */
export const freshConstants: Constants = {
  get: (_key, make) => make(),
  scalar: (value) => tf.scalar(value),
};

/** Above this many values in all, further constants are made fresh each time (and disposed by the caller), so a strange graph cannot pin unbounded memory. */
export const CONSTANT_CACHE_MAX_VALUES = 4_000_000;

export class ConstantCache implements Constants {
  private readonly tensors = new Map<string, tf.Tensor>();
  private values = 0;
  /** The backend the tensors live on: another one (after a fallback) makes them anew there. */
  private backend: string | undefined;

  get<T extends tf.Tensor>(key: string, make: () => T): T {
    const backend = tf.getBackend();
    if (backend !== this.backend) {
      this.dispose();
      this.backend = backend;
    }
    const held = this.tensors.get(key);
    if (held && !held.isDisposed) return held as T;
    const made = make();
    if (this.values + made.size > CONSTANT_CACHE_MAX_VALUES) return made;
    tf.keep(made);
    this.tensors.set(key, made);
    this.values += made.size;
    return made;
  }

  scalar(value: number): tf.Scalar {
    // Object.is tells 0 from -0; String would not.
    return this.get(`scalar:${Object.is(value, -0) ? '-0' : String(value)}`, () => tf.scalar(value));
  }

  /** How many tensors are held (tests count them). */
  get size(): number {
    return this.tensors.size;
  }

  dispose(): void {
    for (const tensor of this.tensors.values()) {
      try {
        if (!tensor.isDisposed) tensor.dispose();
      } catch {
        // Its backend is gone (a lost device): nothing is left to free.
      }
    }
    this.tensors.clear();
    this.values = 0;
  }
}
