import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input, lastDim, sumPerExample, zLossFields, zSize } from './common.ts';
import { scaledSumFused } from './fused.ts';
import { SQUARED_ERROR } from './reconstruction-loss.ts';
import { stopGradient } from './stop-gradient.ts';
import { defineNode } from './types.ts';

/**
 * What `compute` returns, off the gradient tape: a custom gradient runs its
 * forward as one kernel, whose ops are not recorded, and its one input is a
 * constant, so the result is a constant to everything after it. The code ids
 * must be: they are integers, and a look-up by them (here, or an Embedding
 * reading the tokens) would otherwise ask for their gradient.
 */
function offTape<T extends tf.Tensor>(compute: () => T): T {
  const anchor = tf.scalar(0);
  const run = tf.customGrad((_anchor: tf.Tensor | tf.GradSaveFunc) => ({ value: compute(), gradFunc: () => [tf.zeros([])] }));
  const out = run(anchor) as T;
  anchor.dispose();
  return out;
}

/**
 * VQ-VAE's vector quantiser (van den Oord et al. 2017), trained by its loss
 * rather than by moving averages: each vector z of the last axis is replaced
 * by its nearest code e (Euclidean distance) in a learned codebook of
 * `codes` × D.
 *
 * - `y` is e forward, with the straight-through gradient: what reaches y
 *   goes to z unchanged, and nothing to the codebook (y = z + sg(e − z));
 * - `tokens` are the codes' ids, [B, ...] (z without its last axis), for a
 *   prior over them (they carry no gradient);
 * - `loss` is the codebook term ‖sg(z) − e‖², which moves the codes towards
 *   the vectors assigned to them, plus beta times the commitment term
 *   ‖z − sg(e)‖², which keeps the encoder near its codes. `sum` adds over
 *   each example's vectors and dimensions and averages over the batch (the
 *   unit of a summed reconstruction loss); `mean` averages over every
 *   element (PyTorch's F.mse_loss, as most implementations write it);
 * - `perplexity` is exp of the entropy of the batch's code frequencies: how
 *   many codes are in use, as if they were used equally (at most `codes`).
 *   Training reports it beside the losses; held-out evaluation counts codes
 *   over the whole held-out split.
 *
 * The codebook starts uniform in ±1/codes, as in the paper's reference
 * implementations, or as a standard normal. With `normalize`, vectors and
 * codes are compared and output at unit length (l2-normalised codes,
 * ViT-VQGAN), which keeps more codes in use. Another node can use the
 * codebook as its table (weight tying: an Embedding with `tiedTo` set to
 * this node, and `normalize` when this node has it, looks a prior's
 * sampled codes up).
 */
export const vectorQuantizerNode = defineNode({
  kind: 'VectorQuantizer',
  category: 'layer',
  title: 'Vector quantizer',
  description:
    "Replaces each vector of the last axis by its nearest code in a learned codebook (VQ-VAE): outputs the codes' vectors (straight-through gradient to the input), their ids as tokens, the codebook + commitment loss and the codes' perplexity.",
  params: z.strictObject({
    /** Codebook size K. */
    codes: zSize(65536, 64),
    /** Weight of the commitment term ‖z − sg(e)‖² (the paper's β). */
    beta: z.number().min(0).max(100).default(0.25),
    reduction: z.enum(['sum', 'mean']).default('sum'),
    /** The codebook's start: 'uniform' in ±1/codes, as the paper's reference implementations; 'normal', a standard normal, for vectors normalised to unit scale before it (a LayerNorm), so that every code starts among them. */
    codebookInit: z.enum(['uniform', 'normal']).default('uniform'),
    /** Look codes up by direction: z and the codes are scaled to unit length first (ViT-VQGAN's l2-normalised codes, Yu et al. 2022), which keeps far more codes in use; y is then the unit code. */
    normalize: z.boolean().default(false),
    ...zLossFields,
  }),
  ports: {
    inputs: [{ name: 'z', type: 'tensor', doc: "the encoder's vectors [B, ..., D]" }],
    outputs: [
      { name: 'y', type: 'tensor', doc: 'the nearest codes, the shape of z (straight-through gradient to z)' },
      { name: 'tokens', type: 'tokens', doc: "the codes' ids, [B, ...]: z without its last axis" },
      { name: 'loss', type: 'loss', doc: 'codebook + beta · commitment, into the objective named' },
      { name: 'perplexity', type: 'tensor', doc: "exp(entropy) of the batch's code frequencies, a scalar reported while training" },
    ],
  },
  addsLoss: true,
  metrics: ['perplexity'],
  codes: (p) => ({ port: 'tokens', count: p.codes }),
  lends: 'codebook',
  infer: ({ inputs }) => {
    const x = input(inputs, 'z');
    expectRank(x, 'z', 2, 4, '[B, ..., D]');
    lastDim(x, 'z');
    return { y: x, tokens: x.slice(0, -1), loss: [], perplexity: [] };
  },
  variables: ({ inputs, params }) => [{ name: 'codebook', shape: [params.codes, lastDim(input(inputs, 'z'), 'z')], init: params.codebookInit === 'normal' ? { kind: 'normal', std: 1 } : { kind: 'uniform', limit: 1 / params.codes } }],
  forward: ({ inputs, vars, params, fused }) => {
    // With `normalize`, vectors and codes at unit length: everything below sees only those.
    const unit = (t: tf.Tensor) => (params.normalize ? tf.div(t, tf.sqrt(tf.add(tf.sum(tf.square(t), -1, true), 1e-12))) : t);
    const z0 = inputs.z!;
    const d = z0.shape[z0.rank - 1]!;
    const lead = z0.shape.slice(0, -1);
    // Each normalised once, on the tape: the look-up below reads them off it.
    const x = unit(z0);
    const codebook = unit(vars.codebook!);
    const ids = offTape(() =>
      tf.tidy(() => {
        // ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖², for every vector and code.
        const flat = tf.reshape(x, [-1, d]);
        const distances = tf.add(tf.sub(tf.sum(tf.square(flat), 1, true), tf.mul(2, tf.matMul(flat, codebook, false, true))), tf.sum(tf.square(codebook), 1));
        return tf.argMin(distances, 1);
      }),
    );
    const out = tf.tidy(() => {
      const e = tf.reshape(tf.gather(codebook, ids), x.shape);
      // The codes forward, exactly; the gradient straight to z.
      const straight = tf.customGrad((value: tf.Tensor | tf.GradSaveFunc) => ({
        value: tf.clone(value as tf.Tensor),
        gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy), tf.clone(dy)],
      }));
      const y = straight(e, x as tf.Tensor);
      // Both terms are one value, Σ(x − e)², which trains e (codebook) and x (commitment, β) apart: fused, one kernel.
      const scale = params.weight / (params.reduction === 'sum' ? x.shape[0]! : x.size);
      const fusedLoss = fused ? scaledSumFused(SQUARED_ERROR, x, e, (1 + params.beta) * scale, { a: params.beta * scale, b: scale }) : undefined;
      const reduce = (t: tf.Tensor) => (params.reduction === 'sum' ? tf.mean(sumPerExample(t)) : tf.mean(t));
      const loss =
        fusedLoss ??
        tf.mul(tf.add(reduce(tf.squaredDifference(stopGradient(x), e)), tf.mul(params.beta, reduce(tf.squaredDifference(x, stopGradient(e))))), params.weight);
      const frequencies = tf.mean(tf.oneHot(ids, params.codes), 0);
      const perplexity = tf.exp(tf.neg(tf.sum(tf.mul(frequencies, tf.log(tf.add(frequencies, 1e-10))))));
      return { y, loss, perplexity, tokens: tf.reshape(ids, lead) };
    });
    tf.dispose([ids, ...(params.normalize ? [x, codebook] : [])]);
    return out;
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'VectorQuantizer',
      args: {
        codes: params.codes,
        features: lastDim(input(inputs, 'z'), 'z'),
        beta: params.beta,
        reduction: params.reduction,
        normalize: params.normalize,
        weight: params.weight,
      },
    }),
    weights: () => ({ codebook: ['codebook', 'same'] }),
  },
  summary: (p) => `${p.codes} codes${p.normalize ? ' · unit' : ''} · β ${p.beta} · ${p.objective}`,
  tokenIds: { produces: (p) => ({ tokens: p.codes }) },
});
