import * as tf from '@tensorflow/tfjs-core';
import { defineNode } from './types.ts';
import {
  inferRecurrent,
  initialState,
  inputProjections,
  recurrentActivations,
  recurrentPorts,
  recurrentProjection,
  recurrentSequence,
  recurrentTorch,
  recurrentVariables,
  sequenceOutput,
  zRecurrentParams,
} from './recurrent.ts';

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997) as torch.nn.LSTM
 * computes it, gates in PyTorch's order (input, forget, cell, output):
 *   i, f, g, o = σ, σ, tanh, σ of (x_t W + b + h_{t−1} R + b_R)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
 * Causal by construction: position t sees positions up to t only.
 */
export const lstmNode = defineNode({
  kind: 'LSTM',
  category: 'layer',
  title: 'LSTM',
  description:
    'Long short-term memory over a sequence [B, T, features], as torch.nn.LSTM (gates input, forget, cell, output; an input and a recurrent bias): returns every hidden state or the last, and the final h and c; h0 and c0 start it (zeros when unconnected). Causal: position t sees positions up to t only, and a sampler runs it one position at a time with its state.',
  params: zRecurrentParams,
  ports: recurrentPorts([
    { input: 'h0', output: 'h', what: 'hidden state' },
    { input: 'c0', output: 'c', what: 'cell state' },
  ]),
  infer: ({ inputs, params }) => inferRecurrent(inputs, params, ['h0', 'c0'], ['h', 'c']),
  variables: ({ inputs, params }) => recurrentVariables(inputs, params.units, 4),
  hiddenActivations: ({ inputs, params }) => recurrentActivations(inputs, params.units, 4),
  forward: ({ inputs, vars, params }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      const batch = x.shape[0]!;
      let h = initialState(inputs.h0, batch, params.units);
      let c = initialState(inputs.c0, batch, params.units);
      const hiddens: tf.Tensor[] = [];
      for (const projected of inputProjections(x, vars)) {
        const [i, f, g, o] = tf.split(tf.add(projected, recurrentProjection(h, vars)), 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
        hiddens.push(h);
      }
      return { y: sequenceOutput(hiddens, params), h, c };
    }),
  sequence: recurrentSequence({ h0: 'h', c0: 'c' }),
  torch: recurrentTorch('LSTM'),
  summary: (p) => `${p.units}${p.returnSequences ? '' : ' · last'}`,
});
