import * as tf from '@tensorflow/tfjs-core';
import { makePoolNode } from './pool-common.ts';

/** Average pooling over the height and width of an NHWC image. */
export const avgPool2dNode = makePoolNode(
  'AvgPool2D',
  'Average pool 2D',
  'Averages each window of an image, per channel; a 2×2 pool halves the height and width.',
  tf.avgPool,
);
