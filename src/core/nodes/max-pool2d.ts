import * as tf from '@tensorflow/tfjs-core';
import { makePoolNode } from './pool-common.ts';

/** Max pooling over the height and width of an NHWC image. */
export const maxPool2dNode = makePoolNode(
  'MaxPool2D',
  'Max pool 2D',
  'Keeps the largest value in each window of an image, per channel; a 2×2 pool halves the height and width.',
  tf.maxPool,
);
