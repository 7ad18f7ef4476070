/**
 * What LSTM and GRU share: their params, shape rule and weights, laid out as
 * PyTorch's nn.LSTM / nn.GRU hold them (gates stacked on one axis, an input
 * bias and a recurrent bias), so the same numbers give the same outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { sameShape, type Shape } from '../base/shape.ts';
import { expectRank, input, lastDim, mismatch, zSize } from './common.ts';
import type { NodePorts, SequenceBehaviour, TorchForm, VariableSpec } from './types.ts';

export const zRecurrentParams = z.strictObject({
  /** Size of the hidden state (and of each output). */
  units: zSize(16384, 128),
  /** true: an output per position [B, T, units]; false: the last position's [B, units]. */
  returnSequences: z.boolean().default(true),
});
export type RecurrentParams = z.infer<typeof zRecurrentParams>;

/** The ports of a recurrent kind whose state is the given tensors (h for a GRU; h and c for an LSTM). */
export function recurrentPorts(state: readonly { input: string; output: string; what: string }[]): NodePorts {
  return {
    inputs: [
      { name: 'x', type: 'tensor', doc: 'a sequence [B, T, features]' },
      ...state.map(({ input, what }) => ({ name: input, type: 'tensor' as const, optional: true, doc: `initial ${what} [B, units]; zeros when unconnected` })),
    ],
    outputs: [
      { name: 'y', type: 'tensor', doc: 'hidden states [B, T, units] (returnSequences) or the last one [B, units]' },
      ...state.map(({ output, what }) => ({ name: output, type: 'tensor' as const, doc: `${what} after the last position [B, units]` })),
    ],
  };
}

/** Output shapes; an initial state must be [B, units]. */
export function inferRecurrent(inputs: Readonly<Record<string, Shape>>, params: RecurrentParams, stateInputs: readonly string[], stateOutputs: readonly string[]): Record<string, Shape> {
  const x = input(inputs, 'x');
  expectRank(x, 'x', 3, 3, 'a sequence [B, T, features]');
  lastDim(x, 'x');
  const state: Shape = [x[0]!, params.units];
  for (const port of stateInputs) {
    const given = inputs[port];
    if (given && !sameShape(given, state)) throw mismatch(port, `[B, ${params.units}] (the layer's units)`, given);
  }
  const out: Record<string, Shape> = { y: params.returnSequences ? [x[0]!, x[1]!, params.units] : state };
  for (const port of stateOutputs) out[port] = state;
  return out;
}

/**
 * The kind in PyTorch: gencomposer.LSTM / GRU, torch.nn.LSTM / nn.GRU of
 * one layer, batch first; our kernels are its weight_ih_l0 and weight_hh_l0
 * transposed, our biases its bias_ih_l0 and bias_hh_l0.
 */
export function recurrentTorch(kind: 'LSTM' | 'GRU'): TorchForm<RecurrentParams> {
  return {
    module: ({ inputs, params }) => ({
      class: kind,
      args: { in_features: lastDim(input(inputs, 'x'), 'x'), units: params.units, return_sequences: params.returnSequences },
    }),
    weights: () => ({
      kernel: ['weight_ih_l0', 'linear'],
      recurrentKernel: ['weight_hh_l0', 'linear'],
      bias: ['bias_ih_l0', 'same'],
      recurrentBias: ['bias_hh_l0', 'same'],
    }),
  };
}

/**
 * kernel [features, gates · units] and recurrentKernel [units, gates · units]
 * (PyTorch's weight_ih and weight_hh transposed), bias and recurrentBias
 * [gates · units]; all start uniform in ±1/√units as in PyTorch.
 */
export function recurrentVariables(inputs: Readonly<Record<string, Shape>>, units: number, gates: number): VariableSpec[] {
  const features = lastDim(input(inputs, 'x'), 'x');
  const init = { kind: 'uniform', limit: 1 / Math.sqrt(units) } as const;
  return [
    { name: 'kernel', shape: [features, gates * units], init },
    { name: 'recurrentKernel', shape: [units, gates * units], init },
    { name: 'bias', shape: [gates * units], init },
    { name: 'recurrentBias', shape: [gates * units], init },
  ];
}

/** The input's contribution to every gate at every position, computed at once: [T] of [B, gates · units]. */
export function inputProjections(x: tf.Tensor, vars: Readonly<Record<string, tf.Tensor>>): tf.Tensor[] {
  const [batch, steps, features] = x.shape as [number, number, number];
  const projected = tf.add(tf.matMul(tf.reshape(x, [batch * steps, features]), vars.kernel as tf.Tensor2D), vars.bias!);
  return tf.unstack(tf.reshape(projected, [batch, steps, -1]), 1);
}

/** The recurrent contribution h · recurrentKernel + recurrentBias [B, gates · units]. */
export function recurrentProjection(h: tf.Tensor, vars: Readonly<Record<string, tf.Tensor>>): tf.Tensor {
  return tf.add(tf.matMul(h as tf.Tensor2D, vars.recurrentKernel as tf.Tensor2D), vars.recurrentBias!);
}

/** The initial state: the connected input, else zeros [B, units]. */
export function initialState(given: tf.Tensor | undefined, batch: number, units: number): tf.Tensor {
  return given ?? tf.zeros([batch, units]);
}

/** The y output: every hidden state stacked on the time axis, or the last. */
export function sequenceOutput(hiddens: tf.Tensor[], params: RecurrentParams): tf.Tensor {
  return params.returnSequences ? tf.stack(hiddens, 1) : hiddens[hiddens.length - 1]!;
}

/**
 * What the unrolled loop keeps for the backward pass, per example: at each
 * position about eight tensors the size of the gates (projections, sums,
 * the split gates, their activations and products).
 */
export function recurrentActivations(inputs: Readonly<Record<string, Shape>>, units: number, gates: number): number {
  const steps = input(inputs, 'x')[1];
  return (typeof steps === 'number' ? steps : 1) * 8 * gates * units;
}

/** Both kinds carry their state between positions; a sampler steps them one position at a time. */
export function recurrentSequence(state: Readonly<Record<string, string>>): () => SequenceBehaviour {
  return () => ({ kind: 'recurrent', state });
}
