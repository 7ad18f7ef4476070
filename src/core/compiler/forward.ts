/**
 * Runs the flat op graph of an analysis forward: variables are created from
 * their specs, ops run in order, and every value is returned by its key.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord, own } from '../base/names.ts';
import type { Init, RandomSource, RecurrentState, VariableSpec } from '../nodes/types.ts';
import { variableKeyOf, type Analysis, type FlatOp } from '../shapes/analysis.ts';
import { concrete } from '../base/shape.ts';
import { Rng } from '../base/random.ts';
import { inputGradients } from './input-gradients.ts';
import { fusedKernelsPay } from '../nodes/fused.ts';
import { freshConstants, type Constants } from '../nodes/constants.ts';

/** A tied variable's key is the lender's, so both uses read one tf.Variable. */
export function variableKey(op: FlatOp, spec: VariableSpec): string {
  return variableKeyOf(op, spec);
}

export function initialValues(init: Init, shape: readonly number[], rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      values.fill(1);
      break;
    case 'constant':
      values.fill(init.value);
      break;
    case 'normal':
      for (let i = 0; i < n; i++) values[i] = rng.normal() * init.std;
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) values[i] = (rng.uniform() * 2 - 1) * init.limit;
      break;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (init.fanIn + init.fanOut));
      for (let i = 0; i < n; i++) values[i] = (rng.uniform() * 2 - 1) * limit;
      break;
    }
  }
  return values;
}

let nextVariable = 0;

/** Every distinct variable's initial values and shape, drawn from `seed` in op order (what training starts from). */
export function initialVariableValues(analysis: Analysis, seed: number): Map<string, { values: Float32Array; shape: number[] }> {
  const rng = new Rng(seed);
  const out = new Map<string, { values: Float32Array; shape: number[] }>();
  for (const op of analysis.ops) {
    for (const spec of op.variables) {
      const key = variableKey(op, spec);
      if (!out.has(key)) out.set(key, { values: initialValues(spec.init, spec.shape, rng), shape: spec.shape });
    }
  }
  return out;
}

/** One tf.Variable per distinct variable scope, initialised from `seed` in op order. */
export function createVariables(analysis: Analysis, seed: number): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  for (const [key, { values, shape }] of initialVariableValues(analysis, seed)) {
    const initial = tf.tensor(values, shape);
    // Variable names are global in TF.js; the counter keeps two programs apart.
    vars.set(key, tf.variable(initial, true, `${key.replace(/[^A-Za-z0-9_]/g, '_')}_${nextVariable++}`));
    initial.dispose();
  }
  return vars;
}

export interface ForwardOptions {
  variables: ReadonlyMap<string, tf.Tensor>;
  /** Per op id, the tensors for its feed ports (Data and Input nodes); only own keys are read. */
  feeds: Readonly<Record<string, Record<string, tf.Tensor>>>;
  batchSize: number;
  training: boolean;
  random: RandomSource;
  /** Which ops to run; samplers run elsewhere. */
  phase?: 'train' | 'sample';
  /** Updates the objective being trained has taken (ForwardContext.step): schedules follow it. */
  step?: number;
  /**
   * A sampler stepping a sequence one position at a time: recurrent ops
   * start from the state held here for them (in place of their initial-state
   * inputs) and leave their final state here for the next position.
   */
  recurrentState?: RecurrentState;
  /** Where the ops' unchanging tensors are kept (a training session's cache); by default each is made anew. */
  constants?: Constants;
  /** Lets kinds run their fused kernels (ForwardContext.fused); by default where they pay (fusedKernelsPay: WebGPU). */
  fused?: boolean;
}

/** Runs every op of the phase; returns all values by key. The caller owns the tensors. */
export function runForward(analysis: Analysis, options: ForwardOptions): Map<string, tf.Tensor> {
  const phase = options.phase ?? 'train';
  return runOps(
    analysis.ops.filter((op) => op.phase === phase),
    analysis,
    options,
  );
}

/**
 * Runs the given ops in order. `values` may hold tensors supplied in place
 * of some values (a sampler's substitutions); new values are added to it.
 */
export function runOps(ops: readonly FlatOp[], analysis: Analysis, options: Omit<ForwardOptions, 'phase'>, values = new Map<string, tf.Tensor>()): Map<string, tf.Tensor> {
  const fused = options.fused ?? fusedKernelsPay();
  for (const op of ops) {
    const inputs = nameRecord<tf.Tensor>();
    for (const [port, key] of Object.entries(op.inputs)) {
      const value = values.get(key);
      if (!value) throw new Error(`op ${op.id}: input "${port}" has no value`);
      inputs[port] = value;
    }
    const vars = nameRecord<tf.Tensor>();
    for (const spec of op.variables) vars[spec.name] = options.variables.get(variableKey(op, spec))!;
    const carried = options.recurrentState ? recurrentPorts(op) : undefined;
    const held = carried && own(options.recurrentState!, op.id);
    if (carried && held) for (const port of Object.keys(carried)) if (own(held, port)) inputs[port] = held[port]!;
    const outputShapes = nameRecord<number[]>();
    for (const [port, key] of Object.entries(op.outputs)) outputShapes[port] = concrete(analysis.values.get(key)!.shape, options.batchSize);
    const gradients = op.def.inputGradients ? inputGradients(op, ops, values, (between, given) => runOps(between, analysis, { ...options, fused: false }, given)) : undefined;
    const outputs = op.def.forward!({
      params: op.params,
      inputs,
      vars,
      outputShapes,
      batchSize: options.batchSize,
      training: options.training,
      random: options.random,
      constants: options.constants ?? freshConstants,
      feeds: own(options.feeds, op.id) ?? nameRecord(),
      fused,
      ...(gradients ? { gradients } : {}),
      ...(options.step !== undefined ? { step: options.step } : {}),
    });
    // The input gradients were for this op's forward alone.
    if (gradients) tf.dispose(Object.values(gradients).filter((g) => !Object.values(outputs).includes(g)));
    for (const [port, key] of Object.entries(op.outputs)) {
      const value = own(outputs, port);
      if (!value) throw new Error(`op ${op.id}: output "${port}" was not produced`);
      // A value supplied in place of this output (a sampler's substitution) wins.
      if (!values.has(key)) values.set(key, value);
    }
    if (carried) {
      const next = nameRecord<tf.Tensor>();
      for (const [port, output] of Object.entries(carried)) next[port] = own(outputs, output)!;
      options.recurrentState![op.id] = next;
    }
  }
  return values;
}

/** A recurrent op's state ports (initial-state input → final-state output), or undefined for other ops. */
function recurrentPorts(op: FlatOp): Readonly<Record<string, string>> | undefined {
  const behaviour = op.def.sequence?.(op.params);
  return behaviour?.kind === 'recurrent' ? behaviour.state : undefined;
}
