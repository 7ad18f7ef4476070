import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, positionwise } from './common.ts';
import { defineNode } from './types.ts';

/** The identity whose gradient is zero: what flows through it is a fixed target for what comes after. */
export const stopGradient = (x: tf.Tensor): tf.Tensor =>
  tf.customGrad((value: tf.Tensor | tf.GradSaveFunc) => ({ value: tf.clone(value as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }))(x);

/** Identity forward, no gradient back (TensorFlow's stop_gradient, PyTorch's detach). */
export const stopGradientNode = defineNode({
  kind: 'StopGradient',
  category: 'layer',
  title: 'Stop gradient',
  description: 'Passes its input on unchanged, but sends no gradient back: the weights before it are not trained by losses after it (a fixed target, a frozen encoder).',
  params: z.strictObject({}),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs }) => ({ y: input(inputs, 'x') }),
  forward: ({ inputs }) => ({ y: stopGradient(inputs.x!) }),
  torch: { inline: (_params, inputs) => ({ y: `${inputs.x}.detach()` }) },
  sequence: positionwise,
});
