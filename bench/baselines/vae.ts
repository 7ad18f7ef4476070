/**
 * The MLP VAE of graph-presets/vae.json written directly in TF.js: encoder
 * 784-400 (relu) with mean and log-variance heads of 20, reparameterized z,
 * decoder 20-400 (relu)-784 giving Bernoulli logits; loss = BCE from logits
 * summed over pixels + KL to N(0, I), both averaged over the batch; Adam.
 * Batches are random grey levels in [0, 1], uploaded every step like real data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { countParameters, createAdam, glorotVariable, zerosVariable, type Baseline } from './common.ts';

const PIXELS = 784;
const HIDDEN = 400;
const LATENT = 20;
/** Distinct host batches cycled through, so each step uploads a batch as the graph's data source does. */
const POOL = 4;

export interface VaeBaseline extends Baseline {
  readonly weights: Record<'enc' | 'encB' | 'mu' | 'muB' | 'logvar' | 'logvarB' | 'dec' | 'decB' | 'out' | 'outB', tf.Variable>;
  /** The negative ELBO of a batch x [B, 784] with noise eps [B, 20]. */
  loss(x: tf.Tensor2D, eps: tf.Tensor2D): tf.Scalar;
}

export function createBaseline(batchSize: number, seed = 0): VaeBaseline {
  const w = {
    enc: glorotVariable(PIXELS, HIDDEN, seed + 1),
    encB: zerosVariable([HIDDEN]),
    mu: glorotVariable(HIDDEN, LATENT, seed + 2),
    muB: zerosVariable([LATENT]),
    logvar: glorotVariable(HIDDEN, LATENT, seed + 3),
    logvarB: zerosVariable([LATENT]),
    dec: glorotVariable(LATENT, HIDDEN, seed + 4),
    decB: zerosVariable([HIDDEN]),
    out: glorotVariable(HIDDEN, PIXELS, seed + 5),
    outB: zerosVariable([PIXELS]),
  };
  const variables = Object.values(w);
  const adam = createAdam(variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0, clipNorm: 0 });
  const pool = Array.from({ length: POOL }, () => Float32Array.from({ length: batchSize * PIXELS }, Math.random));
  let steps = 0;

  const loss = (x: tf.Tensor2D, eps: tf.Tensor2D): tf.Scalar => {
    const h = tf.fused.matMul({ a: x, b: w.enc, bias: w.encB, activation: 'relu' });
    const mu = tf.fused.matMul({ a: h, b: w.mu, bias: w.muB });
    const logvar = tf.fused.matMul({ a: h, b: w.logvar, bias: w.logvarB });
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
    const d = tf.fused.matMul({ a: z, b: w.dec, bias: w.decB, activation: 'relu' });
    const logits = tf.fused.matMul({ a: d, b: w.out, bias: w.outB });
    // max(p, 0) - p·t + log(1 + exp(-|p|)): stable for large logits.
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const kl = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)));
    // Summed per example and averaged over the batch: one sum over everything, divided by B.
    return tf.div(tf.add(tf.sum(bce), tf.sum(kl)), batchSize) as tf.Scalar;
  };

  return {
    name: 'hand-written TF.js MLP VAE',
    weights: w,
    loss,
    parameterCount: countParameters(variables),
    step() {
      const x = tf.tensor2d(pool[steps++ % POOL]!, [batchSize, PIXELS]);
      const eps = tf.randomNormal([batchSize, LATENT]) as tf.Tensor2D;
      const { value, grads } = tf.variableGrads(() => loss(x, eps), variables);
      adam.apply(variables.map((v) => grads[v.name]!));
      tf.dispose([x, eps, grads]);
      return value;
    },
    dispose() {
      adam.dispose();
      tf.dispose(variables);
    },
  };
}
