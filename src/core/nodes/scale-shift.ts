import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input } from './common.ts';
import { defineNode } from './types.ts';

export const scaleShiftNode = defineNode({
  kind: 'ScaleShift',
  category: 'layer',
  title: 'Scale and shift',
  description: 'Elementwise y = x · scale + shift with constant scale and shift (e.g. half the log-variance).',
  params: z.strictObject({ scale: z.number().min(-1e6).max(1e6).default(1), shift: z.number().min(-1e6).max(1e6).default(0) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => ({ y: input(inputs, 'x') }),
  forward: ({ inputs, params }) => {
    const x = inputs.x!;
    if (params.scale === 1 && params.shift === 0) return { y: x };
    return { y: tf.tidy(() => tf.add(tf.mul(x, params.scale), params.shift)) };
  },
  summary: (p) => `·${p.scale} + ${p.shift}`,
});
