import { makeDecoderNode } from './decoder-common.ts';

/** The DCGAN generator: ReLU and batch norm inside, tanh at the output (so data in [-1, 1]). */
export const generatorNode = makeDecoderNode(
  'Generator',
  'Generator',
  'Turns random noise into a sample, as in a GAN; by default DCGAN transposed convolutions making 28×28 images in [-1, 1].',
  { architecture: 'conv', hidden: [128, 64], activation: 'relu', outputActivation: 'tanh', outputShape: [28, 28, 1], batchNorm: true },
);
