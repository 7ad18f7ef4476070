import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { elementsPerItem } from '../base/shape.ts';
import { input, mismatch } from './common.ts';
import { defineNode } from './types.ts';

/** Reshapes each batch item; the batch axis is kept. */
export const reshapeNode = defineNode({
  kind: 'Reshape',
  category: 'layer',
  title: 'Reshape',
  description: 'Gives each batch item a new shape with the same number of elements; the batch axis stays first.',
  params: z.strictObject({ shape: z.array(z.int().min(1).max(1 << 24)).min(1).max(3).default([1]) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    if (x[0] !== 'B') throw mismatch('x', 'a batch axis first', x);
    const target = params.shape.reduce((a, b) => a * b, 1);
    if (elementsPerItem(x) !== target) {
      throw mismatch('x', `${target} elements per item to reshape into [B, ${params.shape.join(', ')}]`, x);
    }
    return { y: ['B', ...params.shape] };
  },
  forward: ({ inputs, params }) => ({ y: tf.reshape(inputs.x!, [-1, ...params.shape]) }),
  // Moves no value, so |det| = 1 and a flow's log-determinant passes it by (squeeze in Glow is a Reshape and a Transpose).
  invertible: { inputs: ['x'], outputs: ['y'], inverse: ({ outputs, inputShapes }) => ({ x: tf.reshape(outputs.y!, [-1, ...inputShapes.x!.slice(1)]) }) },
  torch: {
    inline: (params, inputs) => ({ y: `${inputs.x}.reshape(-1, ${params.shape.join(', ')})` }),
    inverse: (_params, outputs, shapes) => ({ x: `${outputs.y}.reshape(-1, ${shapes.x!.slice(1).join(', ')})` }),
  },
  summary: (p) => `[B, ${p.shape.join(', ')}]`,
});
