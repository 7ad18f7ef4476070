import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { elementsPerItem } from '../base/shape.ts';
import { input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

export const flattenNode = defineNode({
  kind: 'Flatten',
  category: 'layer',
  title: 'Flatten',
  description: 'Turns each batch item into one long vector: [B, H, W, C] becomes [B, H·W·C].',
  params: z.strictObject({}),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    if (x.length < 2 || x[0] !== 'B' || x.slice(1).some((d) => d === 'B')) throw mismatch('x', '[B, ...] with at least one axis after the batch', x);
    return { y: ['B', elementsPerItem(x)] };
  },
  forward: ({ inputs, outputShapes }) => ({ y: tf.reshape(inputs.x!, [-1, outputShapes.y![1]!]) }),
  torch: { inline: (_params, inputs) => ({ y: `${inputs.x}.flatten(1)` }), inverse: (_params, outputs, shapes) => ({ x: `${outputs.y}.reshape(-1, ${shapes.x!.slice(1).join(', ')})` }) },
  // Like Reshape: |det| = 1.
  invertible: { inputs: ['x'], outputs: ['y'], inverse: ({ outputs, inputShapes }) => ({ x: tf.reshape(outputs.y!, [-1, ...inputShapes.x!.slice(1)]) }) },
});
