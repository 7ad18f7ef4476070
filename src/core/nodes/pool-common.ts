/** What MaxPool2D and AvgPool2D share: params, ports, shape inference and summary. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, zSize } from './common.ts';
import { windowShape, zPadding, type Padding } from './image-common.ts';
import { defineNode, type NodeDefinition } from './types.ts';

const zPoolParams = z.strictObject({
  poolSize: zSize(8, 2),
  /** Defaults to the pool size, so windows tile the image. */
  strides: z.int().min(1).max(8).optional(),
  padding: zPadding.default('valid'),
});
export type PoolParams = z.infer<typeof zPoolParams>;

const stride = (p: PoolParams) => p.strides ?? p.poolSize;

/** A 2D pooling kind over NHWC images; only the TF.js op differs between max and average. */
export function makePoolNode(
  kind: string,
  title: string,
  description: string,
  pool: (x: tf.Tensor4D, poolSize: number, strides: number, padding: Padding) => tf.Tensor4D,
): NodeDefinition<PoolParams> {
  return defineNode({
    kind,
    category: 'layer',
    title,
    description,
    params: zPoolParams,
    ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
    infer: ({ inputs, params }) => ({ y: windowShape(input(inputs, 'x'), 'x', params.poolSize, stride(params), params.padding) }),
    forward: ({ inputs, params }) => ({ y: pool(inputs.x as tf.Tensor4D, params.poolSize, stride(params), params.padding) }),
    // TF's padding: 'same' windows see only the image (python/gencomposer/layers.py).
    torch: { module: ({ params }) => ({ class: kind, args: { pool_size: params.poolSize, strides: stride(params), padding: params.padding } }) },
    summary: (p) => `${p.poolSize}×${p.poolSize}${stride(p) === p.poolSize ? '' : ` /${stride(p)}`}`,
  });
}
