import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BINARY_PORTS, inferBroadcast, positionwise } from './common.ts';
import { defineNode } from './types.ts';

export const addNode = defineNode({
  kind: 'Add',
  category: 'layer',
  title: 'Add',
  description: 'Elementwise a + b, broadcasting like NumPy (a residual connection, a bias, a time embedding).',
  params: z.strictObject({}),
  ports: BINARY_PORTS,
  infer: ({ inputs }) => inferBroadcast(inputs),
  forward: ({ inputs }) => ({ y: tf.add(inputs.a!, inputs.b!) }),
  torch: { inline: (_params, inputs) => ({ y: `${inputs.a} + ${inputs.b}` }) },
  sequence: positionwise,
});
