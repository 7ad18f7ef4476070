/**
 * Random draws made where the tensors live: a counter-based generator (each
 * element a hash of the step's key, the draw's number and its own index),
 * so a draw is one kernel with nothing to upload, on the GPU as on the CPU.
 * A WebGPU training step draws its noise, dropout masks and diffusion steps
 * here (TrainingSession); the CPU backends keep Rng's stream
 * (base/random.ts), which these draws do not reproduce, so the same seed
 * gives the same run on one backend, not across WebGPU and the others.
 *
 * The hash is PCG's output function over 32-bit words (Jarzynski and Olano,
 * "Hash Functions for GPU Rendering", 2020). A uniform keeps its top 24 bits,
 * so the JavaScript and WGSL forms give the same floats exactly; normals
 * (Box–Muller over two of them) agree to float32's rounding of log and cos.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../base/random.ts';
import { elementwiseProgram, runFused, type FusedKernel } from '../nodes/fused.ts';

/** PCG's hash of a 32-bit word. */
export function pcgHash(input: number): number {
  const state = (Math.imul(input >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> (((state >>> 28) + 4) >>> 0)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

const WGSL_HASH = `
  fn gcHash(input : u32) -> u32 {
    let state = input * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
  }`;

/** The words every element of one draw hashes its index with: the step's key, then the draw's number. */
function drawBase(key: number, draw: number): number {
  return pcgHash((key ^ pcgHash((draw + 0x9e3779b9) >>> 0)) >>> 0);
}

const DRAW_KINDS = { uniform: 0, normal: 1, integers: 2 } as const;

interface DrawAttrs {
  /** drawBase of the step's key and the draw. */
  base: number;
  kind: number;
  /** integers: the exclusive upper bound. */
  max: number;
  shape: number[];
}

/** Uniform in [0, 1) from element i's j-th word: its top 24 bits, exact in float32. */
const uniformOf = (base: number, word: number) => (pcgHash((base ^ pcgHash(word)) >>> 0) >>> 8) / 16777216;

export const randomDrawKernel: FusedKernel<DrawAttrs> = {
  name: 'GcRandomDraw',
  inputs: [],
  outputShape: (_shapes, attrs) => attrs.shape,
  js: ({ attrs: { base, kind, max }, out }) => {
    for (let i = 0; i < out.length; i++) {
      if (kind === DRAW_KINDS.normal) {
        // (0, 1], so the log is finite.
        const u1 = uniformOf(base, 2 * i) + 1 / 16777216;
        out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * uniformOf(base, 2 * i + 1));
      } else {
        const u = uniformOf(base, 2 * i);
        // The product rounded to float32 as WGSL rounds it, and below max however it rounds.
        out[i] = kind === DRAW_KINDS.integers ? Math.min(Math.floor(Math.fround(u * max)), max - 1) : u;
      }
    }
  },
  wgsl: (_shapes, attrs) =>
    elementwiseProgram(
      String(attrs.kind),
      tf.util.sizeFromShape(attrs.shape),
      `let base = (u32(uniforms.baseHigh) << 16u) | u32(uniforms.baseLow);
    let word = 2u * u32(i);
    ${
      attrs.kind === DRAW_KINDS.normal
        ? `let u1 = gcUniform(base, word) + 1.0 / 16777216.0;
    result[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * gcUniform(base, word + 1u));`
        : attrs.kind === DRAW_KINDS.integers
          ? 'result[i] = min(floor(gcUniform(base, word) * uniforms.max), uniforms.max - 1.0);'
          : 'result[i] = gcUniform(base, word);'
    }`,
      {
        declarations: `${WGSL_HASH}
  fn gcUniform(base : u32, word : u32) -> f32 { return f32(gcHash(base ^ gcHash(word)) >> 8u) * (1.0 / 16777216.0); }`,
        uniforms: [
          // The base word as two 16-bit halves: uniforms here are i32 or f32, and an f32 holds 24 bits exactly.
          { name: 'baseHigh', value: attrs.base >>> 16, type: 'i32' },
          { name: 'baseLow', value: attrs.base & 0xffff, type: 'i32' },
          { name: 'max', value: attrs.max, type: 'f32' },
        ],
      },
    ),
};

/** Draws for one training step, keyed by the step's seed; each call is the next draw. */
export function createDeviceRandom(key: number): RandomSource {
  let draws = 0;
  const draw = (shape: readonly number[], kind: number, max = 0) => runFused(randomDrawKernel, {}, { base: drawBase(key, draws++), kind, max, shape: [...shape] });
  return {
    normal: (shape) => draw(shape, DRAW_KINDS.normal),
    uniform: (shape) => draw(shape, DRAW_KINDS.uniform),
    integers: (shape, max) =>
      tf.tidy(() => {
        if (!(max >= 1 && max <= 1 << 24)) throw new Error(`random integers need a bound from 1 to 2^24, not ${max}`);
        return tf.cast(draw(shape, DRAW_KINDS.integers, max), 'int32');
      }),
  };
}
