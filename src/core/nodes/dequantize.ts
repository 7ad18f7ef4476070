import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../base/random.ts';
import { elementsPerItem } from '../base/shape.ts';
import { checkLogdet, expectRank, input, logdetInput, logdetOutput } from './common.ts';
import { defineNode } from './types.ts';

/** The value range of the data, as the Data node's `range` gives it: unit [0, 1] or signed [−1, 1]. */
const RANGES = { unit: [0, 1], signed: [-1, 1] } as const;

interface Params {
  bins: number;
  range: keyof typeof RANGES;
}

/** The scale from the integer lattice to the data range: a bin's width. */
function binWidth(params: Params): number {
  const [low, high] = RANGES[params.range];
  return (high - low) / params.bins;
}

/** Seed of the evaluation draw: a constant, so every evaluation and every inverse sees the same offsets. */
const EVALUATION_SEED = 0x2f6b1d;

/** One fixed draw of u ~ U[0, 1) per element of a batch of this shape: the same offsets whenever a batch of that shape is seen. */
function evaluationOffsets(shape: readonly number[]): tf.Tensor {
  const rng = new Rng(EVALUATION_SEED);
  const values = new Float32Array(elementsPerItem([...shape]));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform();
  return tf.tensor(values, [...shape]);
}

/**
 * Uniform dequantisation (Theis et al. 2016; RealNVP, Glow): data of `bins`
 * discrete levels k, spread evenly over the range (k / (bins − 1) for unit),
 * becomes y = low + (k + u) · width / bins with u ~ U[0, 1), so a continuous
 * density is fitted to it. The map from the lattice k + u to y scales every
 * dimension by width / bins; adding D · log(width / bins) to the
 * log-determinant makes Flow NLL, averaged over u, an upper bound on
 * −log P(k), the discrete data's negative log-likelihood (divide by
 * D · ln 2 for bits per dimension).
 *
 * Training draws u afresh. Outside training (validation, test, the inverse)
 * u is one fixed draw per element of a batch (by its position in the
 * batch): the held-out NLL is then a single-draw estimate of the bound, as
 * RealNVP and Glow report it (the bin's middle instead would flatter a
 * model whose density peaks inside its bins), and the inverse, knowing u,
 * gives the data back exactly, so a round trip measures the flow alone.
 * Samples come out continuous.
 */
export const dequantizeNode = defineNode({
  kind: 'Dequantize',
  category: 'flow',
  title: 'Dequantize',
  description:
    "Uniform dequantisation of discrete data (e.g. 8-bit pixels): adds uniform noise within each level's bin (fresh while training, one fixed draw otherwise) and D·log(width / bins) to the log-determinant, so Flow NLL bounds the discrete data's likelihood.",
  params: z.strictObject({
    /** Discrete levels of the data: 256 for 8-bit images, 2 for binary data. */
    bins: z.int().min(2).max(65536).default(256),
    /** Where the levels lie, as the Data node's `range`: unit [0, 1] or signed [−1, 1]. */
    range: z.enum(['unit', 'signed']).default('unit'),
  }),
  ports: {
    inputs: [{ name: 'x', type: 'tensor', doc: 'discrete data: bins levels evenly over the range' }, logdetInput],
    outputs: [{ name: 'y', type: 'tensor', doc: 'continuous values in [low, high)' }, logdetOutput],
  },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    expectRank(x, 'x', 2, 4, '[B, ...]');
    checkLogdet(inputs);
    return { y: x, logdet: ['B'] };
  },
  forward: ({ inputs, params, training, random, outputShapes }) => {
    const x = inputs.x!;
    const [low, high] = RANGES[params.range];
    const width = binWidth(params);
    const y = tf.tidy(() => {
      const level = tf.clipByValue(tf.round(tf.mul(tf.sub(x, low), (params.bins - 1) / (high - low))), 0, params.bins - 1);
      const offset = training ? random.uniform(x.shape) : evaluationOffsets(x.shape);
      return tf.add(tf.mul(tf.add(level, offset), width), low);
    });
    const own = elementsPerItem(x.shape.slice(1)) * Math.log(width);
    const batch = outputShapes.logdet?.[0] ?? x.shape[0]!;
    const logdet = inputs.logdet ? tf.add(inputs.logdet, own) : tf.tensor1d(new Float32Array(batch).fill(own));
    return { y, logdet };
  },
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    // Undoes the evaluation map: k = (y − low) / width − u, x = low + (high − low) · k / (bins − 1).
    inverse: ({ outputs, params }) =>
      tf.tidy(() => {
        const [low, high] = RANGES[params.range];
        const y = outputs.y!;
        const level = tf.sub(tf.div(tf.sub(y, low), binWidth(params)), evaluationOffsets(y.shape));
        return { x: tf.add(tf.mul(level, (high - low) / (params.bins - 1)), low) };
      }),
  },
  // Training draws u from ctx.random; otherwise the module makes the same fixed offsets (EVALUATION_SEED) itself.
  torch: { module: ({ params }) => ({ class: 'Dequantize', args: { bins: params.bins, range: params.range }, context: true }) },
  summary: (p) => `${p.bins} levels · ${p.range}`,
});
