/**
 * Seeded random numbers drawn in JavaScript and uploaded as tensors, so a
 * run is reproducible on every CPU backend (TF.js's own random ops differ by
 * backend). A WebGPU training step draws on the device instead, from the
 * same seeds (train/device-random.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Seeded draws as tensors: what node forward functions get for noise, dropout masks and diffusion steps. */
export interface RandomSource {
  normal(shape: readonly number[]): tf.Tensor;
  uniform(shape: readonly number[]): tf.Tensor;
  /** Integers in [0, max). */
  integers(shape: readonly number[], max: number): tf.Tensor;
}

/** A small, fast generator with a 128-bit state (xoshiro128**). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(seed: number) {
    // splitmix32 spreads the seed over the state.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box–Muller, keeping the second value). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, max). */
  integer(max: number): number {
    return Math.floor(this.uniform() * max);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function createRandom(seed: number): RandomSource & { rng: Rng } {
  const rng = new Rng(seed);
  return {
    rng,
    normal(shape) {
      const values = new Float32Array(size(shape));
      for (let i = 0; i < values.length; i++) values[i] = rng.normal();
      return tf.tensor(values, [...shape], 'float32');
    },
    uniform(shape) {
      const values = new Float32Array(size(shape));
      for (let i = 0; i < values.length; i++) values[i] = rng.uniform();
      return tf.tensor(values, [...shape], 'float32');
    },
    integers(shape, max) {
      const values = new Int32Array(size(shape));
      for (let i = 0; i < values.length; i++) values[i] = rng.integer(max);
      return tf.tensor(values, [...shape], 'int32');
    },
  };
}
