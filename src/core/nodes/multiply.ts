import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BINARY_PORTS, inferBroadcast, positionwise } from './common.ts';
import { defineNode } from './types.ts';

export const multiplyNode = defineNode({
  kind: 'Multiply',
  category: 'layer',
  title: 'Multiply',
  description: 'Elementwise a · b, broadcasting like NumPy (gates, masks, scales).',
  params: z.strictObject({}),
  ports: BINARY_PORTS,
  infer: ({ inputs }) => inferBroadcast(inputs),
  forward: ({ inputs }) => ({ y: tf.mul(inputs.a!, inputs.b!) }),
  torch: { inline: (_params, inputs) => ({ y: `${inputs.a} * ${inputs.b}` }) },
  sequence: positionwise,
});
