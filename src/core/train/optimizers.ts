/**
 * Optimizers written over TF.js ops so that their state is ours to save and
 * restore: Adam, AdamW (decoupled weight decay) and SGD with momentum, with
 * optional clipping of the global gradient norm and an optional moving
 * average of the weights.
 *
 * Multi-tensor form: an objective's parameters are updated together, as
 * one flat vector. The gradients and the weights are packed into one buffer
 * each (a concatenation), every slot (Adam's moments, the momentum, the
 * weight average) lives in one flat variable, and the update runs its
 * element-wise ops once over the whole vector; only the write-back is per
 * weight (a slice of the new flat weights). Per weight the old form ran
 * about 14 kernels (12 for Adam, plus clipping's square and sum): 1,209 of
 * the Transformer preset's 2,970 kernels per step were its optimizer. The
 * arithmetic is unchanged; tests/train/optimizers.test.ts holds it against
 * the per-weight form.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSettings } from '../graph/schema.ts';
import { learningRateAt } from './schedules.ts';

const EPSILON = 1e-8;

export interface Optimizer {
  /** Applies one update from gradients by variable key; disposes nothing it was given. */
  apply(grads: Readonly<Record<string, tf.Tensor>>): void;
  /** Updates taken so far. */
  readonly steps: number;
  /** Slot tensors (moments, momentum, weight averages) by "KEY/SLOT", for checkpoints: new tensors the caller disposes. */
  state(): Record<string, tf.Tensor>;
  /** The moving averages of the weights by variable key (empty when settings.ema is 0 or before the first update): new tensors the caller disposes. */
  averages(): Map<string, tf.Tensor>;
  /** Restores what `state()` and `steps` described (the caller checked names and shapes). */
  restore(steps: number, values: ReadonlyMap<string, tf.Tensor>): void;
  dispose(): void;
}

/** The slots an optimizer keeps per weight: Adam's two moments, SGD's momentum, the weight average. */
export function slotNames(settings: OptimizerSettings): Set<string> {
  const names = new Set<string>();
  if (settings.type === 'adam' || settings.type === 'adamw') names.add('m').add('v');
  else if (settings.momentum > 0) names.add('momentum');
  if (settings.ema > 0) names.add('ema');
  return names;
}

/**
 * Adds many tensors a few at a time: one AddN kernel binds all its inputs,
 * and WebGPU in compatibility mode allows only 8 storage buffers per shader.
 */
const ADD_N_INPUTS = 6;
export function sumAll(tensors: tf.Tensor[]): tf.Tensor {
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

/** Where each weight sits in the flat vector. */
interface Layout {
  keys: readonly string[];
  offsets: number[];
  sizes: number[];
  shapes: number[][];
  total: number;
}

function layoutOf(variables: ReadonlyMap<string, tf.Variable>, keys: readonly string[]): Layout {
  const layout: Layout = { keys, offsets: [], sizes: [], shapes: [], total: 0 };
  for (const key of keys) {
    const variable = variables.get(key)!;
    layout.offsets.push(layout.total);
    layout.sizes.push(variable.size);
    layout.shapes.push(variable.shape);
    layout.total += variable.size;
  }
  return layout;
}

/** One flat vector of per-weight tensors, in the layout's order. */
function pack(layout: Layout, part: (key: string, i: number) => tf.Tensor): tf.Tensor1D {
  const parts = layout.keys.map((key, i) => tf.reshape(part(key, i), [-1]));
  return (parts.length === 1 ? parts[0]! : tf.concat(parts)) as tf.Tensor1D;
}

/** Weight i's part of a flat vector, in the weight's shape. */
function unpack(layout: Layout, flat: tf.Tensor, i: number): tf.Tensor {
  return tf.tidy(() => tf.reshape(layout.keys.length === 1 ? flat : tf.slice(flat, layout.offsets[i]!, layout.sizes[i]!), layout.shapes[i]!));
}

export function createOptimizer(settings: OptimizerSettings, variables: ReadonlyMap<string, tf.Variable>, keys: readonly string[]): Optimizer {
  const layout = layoutOf(variables, keys);
  const slotList = [...slotNames(settings)];
  /** Flat slot variables by slot name; created by the first update (or a restore). */
  const slots = new Map<string, tf.Variable>();
  /** Per set of weights with gradients (when not all have one): which elements update. */
  const masks = new Map<string, tf.Tensor1D>();
  let steps = 0;
  const adam = settings.type === 'adam' || settings.type === 'adamw';

  const maskFor = (present: boolean[]): tf.Tensor1D => {
    const id = present.map((p) => (p ? '1' : '0')).join('');
    let mask = masks.get(id);
    if (!mask) {
      const values = new Uint8Array(layout.total);
      present.forEach((p, i) => p && values.fill(1, layout.offsets[i]!, layout.offsets[i]! + layout.sizes[i]!));
      masks.set(id, (mask = tf.keep(tf.tensor1d(values, 'bool'))));
    }
    return mask;
  };

  /** Sets a flat slot; where only some weights had gradients, the others keep their old values. */
  const setSlot = (name: string, next: tf.Tensor, mask: tf.Tensor | undefined) => {
    const current = slots.get(name);
    if (!current) slots.set(name, tf.variable(next, false));
    else current.assign(mask ? tf.where(mask, next, current) : next);
  };

  return {
    get steps() {
      return steps;
    },
    apply(grads) {
      const present = keys.map((key) => grads[key] !== undefined);
      if (!present.some(Boolean)) return;
      // The schedule's rate for this update (the constant learningRate without one).
      const learningRate = learningRateAt(settings, steps);
      steps += 1;
      // Bias corrections folded into the step size, as in the Adam paper's efficient form.
      const stepSize = adam ? (learningRate * Math.sqrt(1 - settings.beta2 ** steps)) / (1 - settings.beta1 ** steps) : learningRate;
      tf.tidy(() => {
        // A weight without a gradient this time is not updated: its gradient packs as zeros (the norm is
        // unchanged) and the mask keeps its slots and its value.
        const mask = present.every(Boolean) ? undefined : maskFor(present);
        let g: tf.Tensor = pack(layout, (key, i) => grads[key] ?? tf.zeros([layout.sizes[i]!]));
        const weights = pack(layout, (key) => variables.get(key)!);
        if (settings.clipNorm > 0) {
          // Scales every gradient by min(1, clip / ||g||) over all of them together.
          const norm = tf.sqrt(tf.sum(tf.square(g)));
          g = tf.mul(g, tf.minimum(1, tf.div(settings.clipNorm, tf.maximum(norm, 1e-12))));
        }
        if (settings.type !== 'adamw' && settings.weightDecay > 0) g = tf.add(g, tf.mul(weights, settings.weightDecay));
        let update: tf.Tensor;
        if (adam) {
          const m = slots.get('m');
          const v = slots.get('v');
          const nextM = m ? tf.add(tf.mul(m, settings.beta1), tf.mul(g, 1 - settings.beta1)) : tf.mul(g, 1 - settings.beta1);
          const nextV = v ? tf.add(tf.mul(v, settings.beta2), tf.mul(tf.square(g), 1 - settings.beta2)) : tf.mul(tf.square(g), 1 - settings.beta2);
          update = tf.mul(tf.div(nextM, tf.add(tf.sqrt(nextV), EPSILON)), stepSize);
          setSlot('m', nextM, mask);
          setSlot('v', nextV, mask);
        } else if (settings.momentum > 0) {
          const velocity = slots.get('momentum');
          const next = velocity ? tf.add(tf.mul(velocity, settings.momentum), g) : g;
          update = tf.mul(next, stepSize);
          setSlot('momentum', next, mask);
        } else update = tf.mul(g, stepSize);
        // AdamW: decay the weights directly, not through the gradient.
        if (settings.type === 'adamw' && settings.weightDecay > 0) update = tf.add(update, tf.mul(weights, learningRate * settings.weightDecay));
        const updated = tf.sub(weights, update);
        layout.keys.forEach((key, i) => {
          if (present[i]) variables.get(key)!.assign(unpack(layout, updated, i));
        });
        if (settings.ema > 0) {
          // The average starts at the weights after the first update.
          const average = slots.get('ema');
          const now = mask ? tf.where(mask, updated, weights) : updated;
          setSlot('ema', average ? tf.add(tf.mul(average, settings.ema), tf.mul(now, 1 - settings.ema)) : now, mask);
        }
      });
    },
    state() {
      const out: Record<string, tf.Tensor> = {};
      for (const slot of slotList) {
        const flat = slots.get(slot);
        if (flat) layout.keys.forEach((key, i) => (out[`${key}/${slot}`] = unpack(layout, flat, i)));
      }
      return out;
    },
    averages() {
      const flat = slots.get('ema');
      return new Map(flat ? layout.keys.map((key, i) => [key, unpack(layout, flat, i)] as const) : []);
    },
    restore(restoredSteps, values) {
      steps = restoredSteps;
      for (const slot of slotList) {
        if (!layout.keys.some((key) => values.has(`${key}/${slot}`))) continue;
        // A weight whose slot was never written has zero moments, and an average equal to itself.
        const flat = tf.tidy(() =>
          pack(layout, (key, i) => values.get(`${key}/${slot}`) ?? (slot === 'ema' ? variables.get(key)! : tf.zeros([layout.sizes[i]!]))),
        );
        slots.get(slot)?.dispose();
        slots.set(slot, tf.variable(flat, false));
        flat.dispose();
      }
    },
    dispose() {
      for (const v of [...slots.values(), ...masks.values()]) v.dispose();
      slots.clear();
      masks.clear();
    },
  };
}
