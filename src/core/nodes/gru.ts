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
 * Gated recurrent unit (Cho et al. 2014) as torch.nn.GRU computes it, gates
 * in PyTorch's order (reset, update, new), the recurrent bias of the new
 * gate inside the reset product:
 *   r, z = σ(x_t W + b + h_{t−1} R + b_R) for their gates
 *   n = tanh(x_t W_n + b_n + r ⊙ (h_{t−1} R_n + b_Rn))
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
 */
export const gruNode = defineNode({
  kind: 'GRU',
  category: 'layer',
  title: 'GRU',
  description:
    'Gated recurrent unit over a sequence [B, T, features], as torch.nn.GRU (gates reset, update, new; an input and a recurrent bias): returns every hidden state or the last, and the final h; h0 starts it (zeros when unconnected). Causal: position t sees positions up to t only, and a sampler runs it one position at a time with its state.',
  params: zRecurrentParams,
  ports: recurrentPorts([{ input: 'h0', output: 'h', what: 'hidden state' }]),
  infer: ({ inputs, params }) => inferRecurrent(inputs, params, ['h0'], ['h']),
  variables: ({ inputs, params }) => recurrentVariables(inputs, params.units, 3),
  hiddenActivations: ({ inputs, params }) => recurrentActivations(inputs, params.units, 3),
  forward: ({ inputs, vars, params }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      let h = initialState(inputs.h0, x.shape[0]!, params.units);
      const hiddens: tf.Tensor[] = [];
      for (const projected of inputProjections(x, vars)) {
        const [xr, xz, xn] = tf.split(projected, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const [hr, hz, hn] = tf.split(recurrentProjection(h, vars), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const r = tf.sigmoid(tf.add(xr, hr));
        const z = tf.sigmoid(tf.add(xz, hz));
        const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
        h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
        hiddens.push(h);
      }
      return { y: sequenceOutput(hiddens, params), h };
    }),
  sequence: recurrentSequence({ h0: 'h' }),
  torch: recurrentTorch('GRU'),
  summary: (p) => `${p.units}${p.returnSequences ? '' : ' · last'}`,
});
