import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { elementsPerItem } from '../base/shape.ts';
import { freshConstants, type Constants } from './constants.ts';
import { chainLogdet, channelFlowPorts, inferChannelFlow, input, lastDim } from './common.ts';
import { permutation } from './permute.ts';
import { defineNode } from './types.ts';

interface Params {
  seed: number;
}

/** 1 where row > column (strict lower triangle), else 0. */
function strictLower(channels: number, constants: Constants): tf.Tensor2D {
  return constants.get(`strictLower:${channels}`, () => tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([channels, channels]), -1, 0), tf.eye(channels)) as tf.Tensor2D));
}

const identity = (channels: number, constants: Constants) => constants.get(`eye:${channels}`, () => tf.eye(channels));

/** The fixed permutation P as a matrix: P[i, order[i]] = 1. */
function permutationMatrix(channels: number, seed: number, constants: Constants): tf.Tensor2D {
  return constants.get(`permutationMatrix:${channels}:${seed}`, () =>
    tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(permutation(channels, 'random', seed), 'int32'), channels), 'float32') as tf.Tensor2D),
  );
}

/**
 * W = P · L · (U + diag(exp(logScale))), Glow's LU form: L is unit lower
 * triangular and U strictly upper triangular (only their triangles are
 * used), so log|det W| = Σ logScale, with no determinant to compute.
 */
function weight(vars: Readonly<Record<string, tf.Tensor>>, params: Params, constants: Constants): tf.Tensor2D {
  return tf.tidy(() => {
    const channels = vars.logScale!.shape[0]!;
    const mask = strictLower(channels, constants);
    const eye = identity(channels, constants);
    const lower = tf.add(eye, tf.mul(vars.lower!, mask));
    // diag(exp(s)) as I scaled by rows: TF.js's Diag op has no gradient.
    const upperMask = constants.get(`strictUpper:${channels}`, () => tf.transpose(mask));
    const upper = tf.add(tf.mul(vars.upper!, upperMask), tf.mul(eye, tf.reshape(tf.exp(vars.logScale!), [channels, 1])));
    return tf.matMul(permutationMatrix(channels, params.seed, constants), tf.matMul(lower, upper)) as tf.Tensor2D;
  });
}

/**
 * (I + N)⁻¹ for a strictly triangular N: N is nilpotent (N^C = 0), so the
 * series I − N + N² − … ends after C terms. TF.js has no matrix inverse or
 * triangular solve; these products are exact in exact arithmetic and run
 * on every backend.
 */
function unitTriangularInverse(strict: tf.Tensor2D, constants: Constants): tf.Tensor2D {
  return tf.tidy(() => {
    const channels = strict.shape[0];
    const minus = tf.neg(strict);
    let term = identity(channels, constants) as tf.Tensor2D;
    let sum = term;
    for (let k = 1; k < channels; k++) {
      term = tf.matMul(term, minus);
      sum = tf.add(sum, term);
    }
    return sum;
  });
}

/** W⁻¹ = (U + D)⁻¹ · L⁻¹ · Pᵀ, with (U + D)⁻¹ = (I + D⁻¹U)⁻¹ · D⁻¹. */
function inverseWeight(vars: Readonly<Record<string, tf.Tensor>>, params: Params, constants: Constants): tf.Tensor2D {
  return tf.tidy(() => {
    const channels = vars.logScale!.shape[0]!;
    const mask = strictLower(channels, constants);
    const lowerInverse = unitTriangularInverse(tf.mul(vars.lower!, mask) as tf.Tensor2D, constants);
    const inverseScale = tf.exp(tf.neg(vars.logScale!));
    // D⁻¹U scales row i of the strict upper triangle by 1 / s_i.
    const scaledUpper = tf.mul(tf.reshape(inverseScale, [channels, 1]), tf.mul(vars.upper!, tf.transpose(mask))) as tf.Tensor2D;
    const upperInverse = tf.mul(unitTriangularInverse(scaledUpper, constants), tf.reshape(inverseScale, [1, channels]));
    return tf.matMul(tf.matMul(upperInverse, lowerInverse), tf.transpose(permutationMatrix(channels, params.seed, constants))) as tf.Tensor2D;
  });
}

/** Applies a channel-mixing matrix at every position: y[..., i] = Σ_j M[i, j] x[..., j]. */
function mixChannels(x: tf.Tensor, matrix: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const channels = x.shape[x.rank - 1]!;
    return tf.reshape(tf.matMul(tf.reshape(x, [-1, channels]), matrix, false, true), x.shape);
  });
}

/**
 * Glow's invertible 1×1 convolution: a learned C × C matrix mixes the
 * channels at every position (for [B, D] inputs, the features). It starts as
 * a fixed random permutation of the channels (L = I, U = 0, scale 1), which
 * is invertible and volume-preserving, and learns from there.
 */
export const invertibleConv1x1Node = defineNode({
  kind: 'InvertibleConv1x1',
  category: 'flow',
  title: 'Invertible 1×1 conv',
  description:
    "Glow's invertible 1×1 convolution: a learned channel-mixing matrix W = P·L·(U + diag(exp(s))) applied at every position, adding positions · Σs to the log-determinant; it generalises Permute and inverts exactly.",
  params: z.strictObject({
    /** Chooses the fixed permutation P; give each layer its own. */
    seed: z.int().min(0).max(2147483647).default(0),
  }),
  ports: channelFlowPorts,
  infer: ({ inputs }) => inferChannelFlow(inputs),
  variables: ({ inputs }) => {
    const channels = lastDim(input(inputs, 'x'), 'x');
    return [
      { name: 'lower', shape: [channels, channels], init: { kind: 'zeros' } },
      { name: 'upper', shape: [channels, channels], init: { kind: 'zeros' } },
      { name: 'logScale', shape: [channels], init: { kind: 'zeros' } },
    ];
  },
  forward: ({ inputs, vars, params, constants = freshConstants }) =>
    tf.tidy(() => {
      const x = inputs.x!;
      const positions = elementsPerItem(x.shape.slice(1)) / x.shape[x.rank - 1]!;
      return {
        y: mixChannels(x, weight(vars, params, constants)),
        logdet: chainLogdet(inputs.logdet, tf.mul(tf.sum(vars.logScale!), constants.scalar(positions)), x.shape[0]!),
      };
    }),
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    inverse: ({ outputs, vars, params }) => ({ x: tf.tidy(() => mixChannels(outputs.y!, inverseWeight(vars, params, freshConstants))) }),
  },
  torch: {
    module: ({ inputs, params }) => {
      const channels = lastDim(input(inputs, 'x'), 'x');
      return { class: 'InvertibleConv1x1', args: { channels, order: permutation(channels, 'random', params.seed) } };
    },
    weights: () => ({ lower: ['lower', 'same'], upper: ['upper', 'same'], logScale: ['log_scale', 'same'] }),
  },
  summary: (p) => `seed ${p.seed}`,
});
