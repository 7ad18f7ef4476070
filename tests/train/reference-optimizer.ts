/**
 * The per-weight optimizer the multi-tensor one replaced (src/core/train/optimizers.ts
 * before packing): each weight updated by its own ops. Kept as the reference
 * the packed form is held to (tests/train/optimizers.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSettings } from '../../src/core/graph/schema.ts';
import { learningRateAt } from '../../src/core/train/schedules.ts';

const EPSILON = 1e-8;

interface ReferenceOptimizer {
  /** Applies one update from gradients by variable key; disposes nothing it was given. */
  apply(grads: Readonly<Record<string, tf.Tensor>>): void;
  /** Updates taken so far. */
  readonly steps: number;
  /** Slot tensors (moments, momentum, weight averages) by name, for checkpoints. */
  state(): Record<string, tf.Variable>;
  /** The moving averages of the weights by variable key (empty when settings.ema is 0 or before the first update). */
  averages(): Map<string, tf.Variable>;
  /** Restores what `state()` and `steps` described (the caller checked names and shapes). */
  restore(steps: number, values: ReadonlyMap<string, tf.Tensor>): void;
  dispose(): void;
}

/**
 * Adds many tensors a few at a time: one AddN kernel binds all its inputs,
 * and WebGPU in compatibility mode allows only 8 storage buffers per shader.
 */
const ADD_N_INPUTS = 6;
function sumAll(tensors: tf.Tensor[]): tf.Tensor {
  let level = tensors;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += ADD_N_INPUTS) {
      const group = level.slice(i, i + ADD_N_INPUTS);
      next.push(group.length === 1 ? group[0]! : tf.addN(group));
    }
    level = next;
  }
  return level[0]!;
}

/** Scales every gradient by min(1, clip / ||g||) over all of them together. */
function clipByGlobalNorm(grads: tf.Tensor[], clip: number): tf.Tensor[] {
  if (clip <= 0) return grads;
  const norm = tf.sqrt(sumAll(grads.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(clip, tf.maximum(norm, 1e-12)));
  return grads.map((g) => tf.mul(g, scale));
}

export function createReferenceOptimizer(settings: OptimizerSettings, variables: ReadonlyMap<string, tf.Variable>, keys: readonly string[]): ReferenceOptimizer {
  const slots = new Map<string, tf.Variable>();
  const slot = (name: string, like: tf.Variable) => {
    let v = slots.get(name);
    if (!v) slots.set(name, (v = tf.variable(tf.zerosLike(like), false)));
    return v;
  };
  let steps = 0;
  const adam = settings.type === 'adam' || settings.type === 'adamw';

  return {
    get steps() {
      return steps;
    },
    apply(grads) {
      // The schedule's rate for this update (the constant learningRate without one).
      const learningRate = learningRateAt(settings, steps);
      steps += 1;
      // Bias corrections folded into the step size, as in the Adam paper's efficient form.
      const stepSize = adam ? (learningRate * Math.sqrt(1 - settings.beta2 ** steps)) / (1 - settings.beta1 ** steps) : learningRate;
      tf.tidy(() => {
        const present = keys.filter((key) => grads[key]);
        const clipped = clipByGlobalNorm(
          present.map((key) => grads[key]!),
          settings.clipNorm,
        );
        present.forEach((key, i) => {
          const variable = variables.get(key)!;
          let g = clipped[i]!;
          if (settings.type !== 'adamw' && settings.weightDecay > 0) g = tf.add(g, tf.mul(variable, settings.weightDecay));
          let update: tf.Tensor;
          if (adam) {
            const m = slot(`${key}/m`, variable);
            const v = slot(`${key}/v`, variable);
            m.assign(tf.add(tf.mul(m, settings.beta1), tf.mul(g, 1 - settings.beta1)));
            v.assign(tf.add(tf.mul(v, settings.beta2), tf.mul(tf.square(g), 1 - settings.beta2)));
            update = tf.mul(tf.div(m, tf.add(tf.sqrt(v), EPSILON)), stepSize);
          } else if (settings.momentum > 0) {
            const velocity = slot(`${key}/momentum`, variable);
            velocity.assign(tf.add(tf.mul(velocity, settings.momentum), g));
            update = tf.mul(velocity, stepSize);
          } else update = tf.mul(g, stepSize);
          // AdamW: decay the weights directly, not through the gradient.
          if (settings.type === 'adamw' && settings.weightDecay > 0) update = tf.add(update, tf.mul(variable, learningRate * settings.weightDecay));
          variable.assign(tf.sub(variable, update));
          if (settings.ema > 0) {
            // The average starts at the weights after the first update.
            const average = slots.get(`${key}/ema`);
            if (!average) slots.set(`${key}/ema`, tf.variable(variable.clone(), false));
            else average.assign(tf.add(tf.mul(average, settings.ema), tf.mul(variable, 1 - settings.ema)));
          }
        });
      });
    },
    state() {
      return Object.fromEntries(slots);
    },
    averages() {
      const out = new Map<string, tf.Variable>();
      for (const key of keys) {
        const average = slots.get(`${key}/ema`);
        if (average) out.set(key, average);
      }
      return out;
    },
    restore(restoredSteps, values) {
      steps = restoredSteps;
      for (const [name, value] of values) {
        const existing = slots.get(name);
        if (existing) existing.assign(value);
        else slots.set(name, tf.variable(value.clone(), false));
      }
    },
    dispose() {
      for (const v of slots.values()) v.dispose();
      slots.clear();
    },
  };
}
