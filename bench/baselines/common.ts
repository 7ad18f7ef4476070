/**
 * What the hand-written baselines share: the interface the bench drives,
 * Glorot and normal initialisers, and Adam / AdamW with global-norm
 * clipping written as a careful TF.js user would (constants made once,
 * decoupled decay folded into one multiply).
 */
import '../../src/core/train/gradients.ts';
import * as tf from '@tensorflow/tfjs-core';

export interface Baseline {
  readonly name: string;
  /** Trainable numbers, to check the baseline is the graph's model. */
  readonly parameterCount: number;
  /** One optimizer step on a fresh batch; returns the loss, which the caller reads and disposes. */
  step(): tf.Scalar;
  dispose(): void;
}

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** Decoupled (AdamW) weight decay on every variable; 0 for plain Adam. */
  weightDecay: number;
  /** Global gradient norm clip; 0 for none. */
  clipNorm: number;
}

const EPSILON = 1e-8;

export function glorotVariable(fanIn: number, fanOut: number, seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seed));
}

export function normalVariable(shape: number[], std: number, seed: number): tf.Variable {
  return tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed));
}

export const zerosVariable = (shape: number[]) => tf.variable(tf.zeros(shape));
export const onesVariable = (shape: number[]) => tf.variable(tf.ones(shape));

export function countParameters(variables: readonly tf.Variable[]): number {
  return variables.reduce((n, v) => n + v.size, 0);
}

/** Adam (Kingma & Ba) in its efficient form, bias corrections folded into the step size. */
export function createAdam(variables: readonly tf.Variable[], s: AdamSettings) {
  const m = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  const v = variables.map((x) => tf.variable(tf.zerosLike(x), false));
  // Scalars uploaded once rather than on every op of every step.
  const c = tf.tidy(() => ({
    beta1: tf.keep(tf.scalar(s.beta1)),
    oneMinusBeta1: tf.keep(tf.scalar(1 - s.beta1)),
    beta2: tf.keep(tf.scalar(s.beta2)),
    oneMinusBeta2: tf.keep(tf.scalar(1 - s.beta2)),
    epsilon: tf.keep(tf.scalar(EPSILON)),
    decay: tf.keep(tf.scalar(1 - s.learningRate * s.weightDecay)),
    clip: tf.keep(tf.scalar(s.clipNorm)),
    one: tf.keep(tf.scalar(1)),
    tiny: tf.keep(tf.scalar(1e-12)),
  }));
  let t = 0;
  return {
    /** Applies one update; disposes nothing it was given. */
    apply(grads: readonly tf.Tensor[]): void {
      t += 1;
      const stepSize = (s.learningRate * Math.sqrt(1 - s.beta2 ** t)) / (1 - s.beta1 ** t);
      tf.tidy(() => {
        let gs = grads;
        if (s.clipNorm > 0) {
          // The squares' sums stacked and summed: tf.addN of more than 7 tensors exceeds WebGPU's storage buffers per shader.
          const norm = tf.sqrt(tf.sum(tf.stack(gs.map((g) => tf.sum(tf.square(g))))));
          const scale = tf.minimum(c.one, tf.div(c.clip, tf.maximum(norm, c.tiny)));
          gs = gs.map((g) => tf.mul(g, scale));
        }
        const lr = tf.scalar(stepSize);
        variables.forEach((variable, i) => {
          const g = gs[i]!;
          m[i]!.assign(tf.add(tf.mul(m[i]!, c.beta1), tf.mul(g, c.oneMinusBeta1)));
          v[i]!.assign(tf.add(tf.mul(v[i]!, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2)));
          const update = tf.div(tf.mul(m[i]!, lr), tf.add(tf.sqrt(v[i]!), c.epsilon));
          // AdamW: w - lr·wd·w - update = w·(1 - lr·wd) - update.
          variable.assign(tf.sub(s.weightDecay > 0 ? tf.mul(variable, c.decay) : variable, update));
        });
      });
    },
    dispose(): void {
      tf.dispose([...m, ...v, ...Object.values(c)]);
    },
  };
}
