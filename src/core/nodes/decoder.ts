import { makeDecoderNode } from './decoder-common.ts';

/** The VAE decoder p(x | z); it emits logits ('linear') for a BCE-from-logits reconstruction loss. */
export const decoderNode = makeDecoderNode(
  'Decoder',
  'Decoder',
  'Maps a latent code back to a sample (logits by default), as in a VAE; Dense layers or transposed convolutions.',
  { architecture: 'mlp', hidden: [256], activation: 'relu', outputActivation: 'linear', outputShape: [784], batchNorm: false },
);
