/**
 * Optimizers written over TF.js ops so that their state is ours to save and
 * restore: Adam, AdamW (decoupled weight decay) and SGD with momentum, with
 * optional clipping of the global gradient norm and an optional moving
 * average of the weights.
 *
 * Two forms with the same arithmetic, chosen by backend (createOptimizer):
 *
 * - Per weight: each weight updated by its own element-wise ops, about 14
 *   kernels a weight (12 for Adam, plus clipping's square and sum).
 * - Packed (multi-tensor), where every kernel is a GPU dispatch: an
 *   objective's gradients and weights are concatenated into one flat vector
 *   each, every slot (Adam's moments, the momentum, the weight average)
 *   lives in one flat variable, and the update is one fused kernel
 *   (optimizerStepKernel, on cpu, wasm and webgpu) that writes the new
 *   slots, weights and average as the rows of one [4, P] tensor, kept as
 *   the state the next step reads; only the write-back is per weight (a
 *   slice of the new weights). 1,209 of the
 *   Transformer preset's 2,970 kernels per step were its per-weight
 *   optimizer.
 *
 * tests/train/optimizers.test.ts holds the two against each other on every
 * backend, and Adam's first step against its formula.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSettings } from '../graph/schema.ts';
import { dispatchBound, elementwiseProgram, fusedKernelsRunHere, MAX_SUMMED, runFused, WORKGROUP, WORKGROUP_SUM, type FusedKernel } from '../nodes/fused.ts';
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

/** The coefficients of one update, as the fused step reads them. */
interface StepAttrs {
  /** 1: Adam's two moments; 0: SGD's velocity. */
  adam: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  momentum: number;
  epsilon: number;
  stepSize: number;
  /** L2 decay, added to the gradient (Adam, SGD). */
  decay: number;
  /** Decoupled decay, learning rate times weight decay, applied to the weights (AdamW). */
  decoupled: number;
  /** The average's decay this update; 0 makes it the new weights (the first update). */
  emaDecay: number;
  oneMinusEmaDecay: number;
  /** Where the weights start in `w`: 0 for packed weights, ROW.weights · P when `w` is the state, whose weights row holds them. */
  weightsOffset: number;
}

/** Rows of the fused step's output, which is also the optimizer's state: the slots, the new weights and their average. */
const ROW = { first: 0, second: 1, weights: 2, average: 3 } as const;

/**
 * One optimizer update of a flat parameter vector, element by element:
 *   g ← g·scale + decay·w
 *   Adam: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², u ← m / (√v + ε) · stepSize
 *   SGD:  m ← momentum·m + g, u ← m · stepSize
 *   w ← w − (u + decoupled·w), average ← emaDecay·average + (1−emaDecay)·w
 * The operations and their order are those of the per-weight form.
 */
export const optimizerStepKernel: FusedKernel<StepAttrs> = {
  name: 'GcOptimizerStep',
  // state: the previous update's rows (first slot, second slot, -, average); see ROW.
  inputs: ['g', 'state', 'w', 'scale'],
  outputShape: ([g]) => [4, g![0]!],
  js: ({ inputs, attrs: a, out }) => {
    const [g, state, allW, scale] = inputs as [Float32Array, Float32Array, Float32Array, Float32Array];
    const size = g.length;
    const w = allW.subarray(a.weightsOffset, a.weightsOffset + size);
    const first = state.subarray(0, size);
    const second = state.subarray(size, 2 * size);
    const average = state.subarray(3 * size, 4 * size);
    // The constants as float32, as the element-wise ops take them; locals keep the loop fast.
    const f = Math.fround;
    const [s, beta1, oneMinusBeta1, beta2, oneMinusBeta2, momentum, epsilon, stepSize, decay, decoupled, emaDecay, oneMinusEmaDecay] = [
      scale[0]!, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.momentum, a.epsilon, a.stepSize, a.decay, a.decoupled, a.emaDecay, a.oneMinusEmaDecay,
    ].map(f) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number];
    // A loop per kind, with no branch inside: V8 keeps each one tight. Arithmetic in double, rounded to
    // float32 once per stored value: within an ulp or two of the element-wise ops, and twice as fast as
    // rounding after every operation.
    if (a.adam === 1) {
      for (let i = 0; i < size; i++) {
        const weight = w[i]!;
        const grad = g[i]! * s + decay * weight;
        const m = first[i]! * beta1 + grad * oneMinusBeta1;
        const v = second[i]! * beta2 + grad * grad * oneMinusBeta2;
        const next = weight - ((m / (Math.sqrt(v) + epsilon)) * stepSize + decoupled * weight);
        out[i] = m;
        out[size + i] = v;
        out[2 * size + i] = next;
        out[3 * size + i] = average[i]! * emaDecay + f(next) * oneMinusEmaDecay;
      }
    } else {
      for (let i = 0; i < size; i++) {
        const weight = w[i]!;
        const m = first[i]! * momentum + g[i]! * s + decay * weight;
        const next = weight - (m * stepSize + decoupled * weight);
        out[i] = m;
        out[size + i] = 0;
        out[2 * size + i] = next;
        out[3 * size + i] = average[i]! * emaDecay + f(next) * oneMinusEmaDecay;
      }
    }
  },
  wgsl: ([g], a) => {
    const size = g![0]!;
    const names = ['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'momentum', 'epsilon', 'stepSize', 'decay', 'decoupled', 'emaDecay', 'oneMinusEmaDecay'] as const;
    return elementwiseProgram(
      a.adam ? 'adam' : 'sgd',
      size,
      `let n = uniforms.count;
    let weight = w[uniforms.weightsOffset + i];
    let grad = g[i] * scale[0] + uniforms.decay * weight;
    ${
      a.adam
        ? `let m = state[i] * uniforms.beta1 + grad * uniforms.oneMinusBeta1;
    let v = state[n + i] * uniforms.beta2 + (grad * grad) * uniforms.oneMinusBeta2;
    let update = (m / (sqrt(v) + uniforms.epsilon)) * uniforms.stepSize;`
        : `let m = state[i] * uniforms.momentum + grad;
    let v = 0.0;
    let update = m * uniforms.stepSize;`
    }
    let next = weight - (update + uniforms.decoupled * weight);
    result[i] = m;
    result[n + i] = v;
    result[2 * n + i] = next;
    result[3 * n + i] = state[3 * n + i] * uniforms.emaDecay + next * uniforms.oneMinusEmaDecay;`,
      { uniforms: [{ name: 'weightsOffset', value: a.weightsOffset, type: 'i32' }, ...names.map((name) => ({ name, value: a[name], type: 'f32' as const }))] },
    );
  },
};

/** The rates of update number `steps` (counted from 1). */
function rates(settings: OptimizerSettings, steps: number): { learningRate: number; stepSize: number } {
  // The schedule's rate for this update (the constant learningRate without one).
  const learningRate = learningRateAt(settings, steps - 1);
  // Adam's bias corrections folded into the step size, as in the Adam paper's efficient form.
  const adam = settings.type === 'adam' || settings.type === 'adamw';
  return { learningRate, stepSize: adam ? (learningRate * Math.sqrt(1 - settings.beta2 ** steps)) / (1 - settings.beta1 ** steps) : learningRate };
}

/** min(1, clip / ||g||) over all the gradients together: what global-norm clipping scales them by. */
function clipScale(grads: tf.Tensor[], clip: number): tf.Tensor {
  const norm = tf.sqrt(sumAll(grads.map((g) => tf.sum(tf.square(g)))));
  return tf.minimum(1, tf.div(clip, tf.maximum(norm, 1e-12)));
}

/**
 * min(1, clip / ||g||) of a flat gradient in one kernel (one workgroup, its
 * threads striding over the elements), [1]: global-norm clipping in one
 * reduction where clipScale takes six kernels.
 */
const clipScaleKernel: FusedKernel<{ clip: number }> = {
  name: 'GcClipScale',
  inputs: ['g'],
  outputShape: () => [1],
  js: ({ inputs: [g], attrs, out }) => {
    let sum = 0;
    for (let i = 0; i < g!.length; i++) sum += g![i]! * g![i]!;
    out[0] = Math.min(1, attrs.clip / Math.max(Math.fround(Math.sqrt(sum)), 1e-12));
  },
  wgsl: ([g], attrs) => ({
    key: 'clip',
    workgroupSize: WORKGROUP,
    dispatch: [1, 1],
    uniforms: [
      { name: 'count', value: g![0]!, type: 'i32' },
      { name: 'clip', value: attrs.clip, type: 'f32' },
    ],
    code: `${WORKGROUP_SUM}
  fn main(index : i32) {
    var sum = 0.0;
    for (var i = i32(localId.x); i < uniforms.count; i += ${WORKGROUP}) { sum += g[i] * g[i]; }
    let total = gcWorkgroupSum(sum, 0);
    if (localId.x == 0u) { result[0] = min(1.0, uniforms.clip / max(sqrt(total), 1e-12)); }
  }`,
  }),
};

/** clipScale of a flat gradient as one kernel, or undefined where it is too long for one workgroup. */
function clipScaleFused(g: tf.Tensor1D, clip: number): tf.Tensor | undefined {
  return g.size > MAX_SUMMED ? undefined : runFused(clipScaleKernel, { g }, { clip });
}

/**
 * The optimizer for the active backend. On WebGPU (and WebGL) every kernel
 * is a dispatch of roughly fixed cost, so the packed form wins; on the CPU
 * backends the element-wise kernels cost what their arithmetic costs, and
 * packing only adds copies: on wasm an Adam update of the VAE's 652,824
 * weights took 12 ms per weight and 21 ms packed (the concatenations and
 * slices, and the fused step's JavaScript loop, slower than wasm's SIMD
 * element-wise kernels).
 */
type StepInputs = Record<'g' | 'state' | 'w' | 'scale', tf.Tensor>;

/** The packed update as one kernel. */
function optimizerStepFused(inputs: StepInputs, attrs: StepAttrs): tf.Tensor {
  return runFused(optimizerStepKernel, inputs, attrs);
}

/**
 * The packed update in TF.js ops, the same rows as optimizerStepKernel:
 * where the fused kernels do not run (WebGL, where a run moves when the GPU
 * device is lost), and the reference the kernel is tested against.
 */
export function optimizerStepOps({ g, state, w: allW, scale }: StepInputs, a: StepAttrs): tf.Tensor {
  return tf.tidy(() => {
    const [first, second, , average] = tf.unstack(state);
    const w = a.weightsOffset ? tf.slice(tf.reshape(allW, [-1]), a.weightsOffset, g.size) : allW;
    const grad = tf.add(tf.mul(g, scale), tf.mul(w, a.decay));
    let m: tf.Tensor;
    let v: tf.Tensor;
    let update: tf.Tensor;
    if (a.adam) {
      m = tf.add(tf.mul(first!, a.beta1), tf.mul(grad, a.oneMinusBeta1));
      v = tf.add(tf.mul(second!, a.beta2), tf.mul(tf.square(grad), a.oneMinusBeta2));
      update = tf.mul(tf.div(m, tf.add(tf.sqrt(v), a.epsilon)), a.stepSize);
    } else {
      m = tf.add(tf.mul(first!, a.momentum), grad);
      v = tf.zerosLike(m);
      update = tf.mul(m, a.stepSize);
    }
    const next = tf.sub(w, tf.add(update, tf.mul(w, a.decoupled)));
    return tf.stack([m, v, next, tf.add(tf.mul(average!, a.emaDecay), tf.mul(next, a.oneMinusEmaDecay))]);
  });
}

export function createOptimizer(
  settings: OptimizerSettings,
  variables: ReadonlyMap<string, tf.Variable>,
  keys: readonly string[],
  options: { packed?: boolean } = {},
): Optimizer {
  return (options.packed ?? dispatchBound()) ? packedOptimizer(settings, variables, keys) : perWeightOptimizer(settings, variables, keys);
}

/** Each weight updated by its own element-wise ops; slots per weight. */
function perWeightOptimizer(settings: OptimizerSettings, variables: ReadonlyMap<string, tf.Variable>, keys: readonly string[]): Optimizer {
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
      const present = keys.filter((key) => grads[key]);
      if (present.length === 0) return;
      steps += 1;
      const { learningRate, stepSize } = rates(settings, steps);
      tf.tidy(() => {
        const scale = settings.clipNorm > 0 ? clipScale(present.map((key) => grads[key]!), settings.clipNorm) : undefined;
        for (const key of present) {
          const variable = variables.get(key)!;
          let g = scale ? tf.mul(grads[key]!, scale) : grads[key]!;
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
            // The average starts at the weights after the weight's first update.
            const average = slots.get(`${key}/ema`);
            if (!average) slots.set(`${key}/ema`, tf.variable(variable.clone(), false));
            else average.assign(tf.add(tf.mul(average, settings.ema), tf.mul(variable, 1 - settings.ema)));
          }
        }
      });
    },
    state() {
      return Object.fromEntries([...slots].map(([name, value]) => [name, value.clone()]));
    },
    averages() {
      const out = new Map<string, tf.Tensor>();
      for (const key of keys) {
        const average = slots.get(`${key}/ema`);
        if (average) out.set(key, average.clone());
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

/** The packed form (see the file comment). */
function packedOptimizer(settings: OptimizerSettings, variables: ReadonlyMap<string, tf.Variable>, keys: readonly string[]): Optimizer {
  const layout = layoutOf(variables, keys);
  const adam = settings.type === 'adam' || settings.type === 'adamw';
  /** Each slot's row in the state. */
  const rowOf: Record<string, number> = { m: ROW.first, momentum: ROW.first, v: ROW.second, ema: ROW.average };
  /**
   * The state [4, P]: the last step's output as it came (ROW), so the next
   * step reads its slots with no slicing, and its weights with no
   * concatenation while they are what the optimizer last wrote (weightIds).
   * Created by the first update or a restore.
   */
  let state: tf.Variable | undefined;
  /** Each weight's data when the state's weights row was last written; a weight assigned since (a checkpoint loaded) has other data. */
  let weightIds: unknown[] | undefined;
  const recordWeights = () => (weightIds = keys.map((key) => variables.get(key)!.dataId));
  const weightsRowCurrent = () => weightIds !== undefined && keys.every((key, i) => variables.get(key)!.dataId === weightIds![i]);
  /** The slots that hold values (written by an update, or restored). */
  const written = new Set<string>();
  /** Per set of weights with gradients (when not all have one): which elements of the state update. */
  const masks = new Map<string, tf.Tensor2D>();
  let steps = 0;

  const maskFor = (present: boolean[]): tf.Tensor2D => {
    const id = present.map((p) => (p ? '1' : '0')).join('');
    let mask = masks.get(id);
    if (!mask) {
      const values = new Uint8Array(4 * layout.total);
      for (let row = 0; row < 4; row++) present.forEach((p, i) => p && values.fill(1, row * layout.total + layout.offsets[i]!, row * layout.total + layout.offsets[i]! + layout.sizes[i]!));
      masks.set(id, (mask = tf.keep(tf.tensor2d(values, [4, layout.total], 'bool'))));
    }
    return mask;
  };

  /** A state from rows by slot (zeros where none; the weights themselves for the average, which starts there). */
  const stateFrom = (rows: (slot: string) => tf.Tensor | undefined) => {
    const created = tf.tidy(() => {
      const zeros = tf.zeros([layout.total]);
      const weights = pack(layout, (key) => variables.get(key)!);
      const row = (slot: string, fallback: tf.Tensor) => rows(slot) ?? fallback;
      return tf.variable(tf.stack([row(adam ? 'm' : 'momentum', zeros), row('v', zeros), weights, row('ema', weights)]), false);
    });
    recordWeights();
    return created;
  };

  return {
    get steps() {
      return steps;
    },
    apply(grads) {
      const present = keys.map((key) => grads[key] !== undefined);
      if (!present.some(Boolean)) return;
      steps += 1;
      const { learningRate, stepSize } = rates(settings, steps);
      state ??= stateFrom(() => undefined);
      const current = state;
      const averaged = written.has('ema');
      tf.tidy(() => {
        // A weight without a gradient this time is not updated: its gradient packs as zeros (the norm is
        // unchanged) and the mask keeps its slots, its value and its average (which starts at its value).
        const mask = present.every(Boolean) ? undefined : maskFor(present);
        const g = pack(layout, (key, i) => grads[key] ?? tf.zeros([layout.sizes[i]!]));
        // The weights as the state's row holds them, unless one was assigned since (then packed anew).
        const weightsInState = weightsRowCurrent();
        const weights = weightsInState ? current : pack(layout, (key) => variables.get(key)!);
        const fusedHere = fusedKernelsRunHere();
        const scale = settings.clipNorm > 0 ? (fusedHere ? clipScaleFused(g, settings.clipNorm) : undefined) ?? tf.reshape(clipScale([g], settings.clipNorm), [1]) : tf.ones([1]);
        const rows = (fusedHere ? optimizerStepFused : optimizerStepOps)(
          { g, state: current, w: weights, scale },
          {
            adam: adam ? 1 : 0,
            beta1: settings.beta1,
            oneMinusBeta1: 1 - settings.beta1,
            beta2: settings.beta2,
            oneMinusBeta2: 1 - settings.beta2,
            momentum: settings.momentum,
            epsilon: EPSILON,
            stepSize,
            decay: settings.type !== 'adamw' ? settings.weightDecay : 0,
            // AdamW: decay the weights directly, not through the gradient.
            decoupled: settings.type === 'adamw' ? learningRate * settings.weightDecay : 0,
            // The average starts at the weights after the first update.
            emaDecay: averaged ? settings.ema : 0,
            oneMinusEmaDecay: averaged ? 1 - settings.ema : 1,
            weightsOffset: weightsInState ? ROW.weights * layout.total : 0,
          },
        );
        layout.keys.forEach((key, i) => {
          if (present[i]) variables.get(key)!.assign(tf.reshape(tf.slice(rows, [ROW.weights, layout.offsets[i]!], [1, layout.sizes[i]!]), layout.shapes[i]!));
        });
        current.assign(mask ? tf.where(mask, rows, current) : rows);
      });
      recordWeights();
      for (const slot of slotNames(settings)) written.add(slot);
    },
    state() {
      const out: Record<string, tf.Tensor> = {};
      if (!state) return out;
      for (const slot of written) {
        const flat = tf.tidy(() => tf.reshape(tf.slice(state!, [rowOf[slot]!, 0], [1, layout.total]), [layout.total]));
        layout.keys.forEach((key, i) => (out[`${key}/${slot}`] = unpack(layout, flat, i)));
        flat.dispose();
      }
      return out;
    },
    averages() {
      if (!state || !written.has('ema')) return new Map();
      const flat = tf.tidy(() => tf.reshape(tf.slice(state!, [ROW.average, 0], [1, layout.total]), [layout.total]));
      const out = new Map(layout.keys.map((key, i) => [key, unpack(layout, flat, i)] as const));
      flat.dispose();
      return out;
    },
    restore(restoredSteps, values) {
      steps = restoredSteps;
      const restored = [...slotNames(settings)].filter((slot) => layout.keys.some((key) => values.has(`${key}/${slot}`)));
      const rows = new Map<string, tf.Tensor>();
      for (const slot of restored) {
        // A weight whose slot was never written has zero moments, and an average equal to itself.
        rows.set(slot, tf.tidy(() => pack(layout, (key, i) => values.get(`${key}/${slot}`) ?? (slot === 'ema' ? variables.get(key)! : tf.zeros([layout.sizes[i]!])))));
      }
      state?.dispose();
      state = stateFrom((slot) => rows.get(slot));
      tf.dispose([...rows.values()]);
      written.clear();
      for (const slot of restored) written.add(slot);
    },
    dispose() {
      state?.dispose();
      state = undefined;
      for (const mask of masks.values()) mask.dispose();
      masks.clear();
    },
  };
}
