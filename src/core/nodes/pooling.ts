import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, zSize } from './common.ts';
import { windowShape, zPadding } from './image-common.ts';
import { defineNode } from './types.ts';

const zPoolParams = z.strictObject({
  poolSize: zSize(8, 2),
  /** Defaults to the pool size, so windows tile the image. */
  strides: z.int().min(1).max(8).optional(),
  padding: zPadding.default('valid'),
});
type PoolParams = z.infer<typeof zPoolParams>;

const ports = { inputs: [{ name: 'x', type: 'tensor' as const }], outputs: [{ name: 'y', type: 'tensor' as const }] };
const stride = (p: PoolParams) => p.strides ?? p.poolSize;
const inferPool = ({ inputs, params }: { inputs: Readonly<Record<string, readonly (number | 'B')[]>>; params: PoolParams }) => ({
  y: windowShape(input(inputs, 'x'), 'x', params.poolSize, stride(params), params.padding),
});
const summary = (p: PoolParams) => `${p.poolSize}×${p.poolSize}${stride(p) === p.poolSize ? '' : ` /${stride(p)}`}`;

export const maxPool2dNode = defineNode({
  kind: 'MaxPool2D',
  category: 'layer',
  title: 'Max pool 2D',
  description: 'Keeps the largest value in each window of an image, per channel; a 2×2 pool halves the height and width.',
  params: zPoolParams,
  ports,
  infer: inferPool,
  forward: ({ inputs, params }) => ({ y: tf.maxPool(inputs.x as tf.Tensor4D, params.poolSize, stride(params), params.padding) }),
  summary,
});

export const avgPool2dNode = defineNode({
  kind: 'AvgPool2D',
  category: 'layer',
  title: 'Average pool 2D',
  description: 'Averages each window of an image, per channel; a 2×2 pool halves the height and width.',
  params: zPoolParams,
  ports,
  infer: inferPool,
  forward: ({ inputs, params }) => ({ y: tf.avgPool(inputs.x as tf.Tensor4D, params.poolSize, stride(params), params.padding) }),
  summary,
});
