import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { activate, fusedActivation, glorot, input, zActivation, zSize } from './common.ts';
import { expectImage } from './image-common.ts';
import { activateFused } from './activation.ts';
import { defineNode, type VariableSpec } from './types.ts';

export type PixelMask = 'A' | 'B';

/**
 * PixelCNN's mask (van den Oord et al. 2016) of a k × k kernel, as 1s and 0s
 * in row-major order: the rows above the centre are seen, and in the
 * centre row the pixels left of the centre; mask 'B' also sees the centre,
 * mask 'A' does not. So in raster order a mask-'A' layer's output at a pixel
 * reads only the pixels before it, and a 'B' layer's reads up to it.
 */
export function pixelMask(kernelSize: number, mask: PixelMask): number[] {
  const centre = (kernelSize - 1) / 2;
  const out: number[] = [];
  for (let i = 0; i < kernelSize; i++) {
    for (let j = 0; j < kernelSize; j++) out.push(i < centre || (i === centre && (j < centre || (mask === 'B' && j === centre))) ? 1 : 0);
  }
  return out;
}

/** The mask spread over a kernel [k, k, inChannels, filters]: every channel pair gets the same spatial mask. */
function maskTensor(kernelSize: number, mask: PixelMask, inChannels: number, filters: number): tf.Tensor4D {
  return tf.tidy(() => tf.tile(tf.tensor4d(pixelMask(kernelSize, mask), [kernelSize, kernelSize, 1, 1]), [1, 1, inChannels, filters]));
}

const params = z.strictObject({
  filters: zSize(4096, 32),
  /** Odd, so that the kernel has a centre pixel. */
  kernelSize: zSize(15, 3),
  /** 'A' for the first layer (the centre pixel hidden), 'B' for the layers after it (centre seen). */
  mask: z.enum(['A', 'B']).default('B'),
  activation: zActivation.default('linear'),
  useBias: z.boolean().default(true),
});

/** A Conv2D whose kernel is multiplied by PixelCNN's causal mask: 'same' padding, stride 1. */
export const maskedConv2dNode = defineNode({
  kind: 'MaskedConv2D',
  category: 'layer',
  title: 'Masked conv 2D',
  description:
    "PixelCNN's masked convolution over an image [B, H, W, C] to [B, H, W, filters] (stride 1, 'same' padding, odd kernel): the output at a pixel reads only the pixels before it in raster order, row by row, left to right (mask A, for the first layer) or those and itself (mask B, for the layers after). The mask is spatial, the same for every channel: the channels of a pixel are predicted together from the pixels before it, not one after another as the PixelCNN paper does for red, green and blue. That is exact for one-channel images (binarized MNIST) and for maps of code ids.",
  params,
  ports: { inputs: [{ name: 'x', type: 'tensor', doc: 'an image [B, H, W, C]' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const { h, w } = expectImage(input(inputs, 'x'), 'x');
    if (params.kernelSize % 2 === 0) {
      throw new ShapeError('GC107', { param: 'kernelSize', reason: `${params.kernelSize} is even; a masked kernel needs a centre pixel, so its size must be odd (1, 3, 5, ...)` });
    }
    if (params.mask === 'A' && params.kernelSize === 1) {
      throw new ShapeError('GC107', { param: 'kernelSize', reason: "a 1×1 kernel with mask A sees nothing (its one pixel is the centre, which mask A hides); use 3 or more, or mask B" });
    }
    return { y: ['B', h, w, params.filters] };
  },
  variables: ({ inputs, params }) => {
    const { c } = expectImage(input(inputs, 'x'), 'x');
    const k = params.kernelSize;
    // Glorot over the whole kernel, then masked, as PyTorch PixelCNNs initialise a Conv2d and mask its weight.
    const vars: VariableSpec[] = [{ name: 'kernel', shape: [k, k, c, params.filters], init: glorot(k * k * c, k * k * params.filters) }];
    if (params.useBias) vars.push({ name: 'bias', shape: [params.filters], init: { kind: 'zeros' } });
    return vars;
  },
  forward: ({ inputs, vars, params, fused }) => {
    const inKernel = fusedActivation(params.activation);
    const y = tf.tidy(() => {
      const kernel = vars.kernel as tf.Tensor4D;
      const [k, , c, f] = kernel.shape;
      // The masked weights get the gradient times the mask: hidden weights never change what the layer computes.
      const masked = tf.mul<tf.Tensor4D>(kernel, maskTensor(k, params.mask, c, f));
      const out = tf.fused.conv2d({
        x: inputs.x as tf.Tensor4D,
        filter: masked,
        strides: 1,
        pad: 'same',
        bias: params.useBias ? vars.bias : undefined,
        activation: inKernel ?? 'linear',
      });
      // TF.js fuses relu and sigmoid into the product; the others as one kernel where the fused kernels run.
      return inKernel ? out : fused ? activateFused(out, params.activation) : activate(out, params.activation);
    });
    return { y };
  },
  torch: {
    module: ({ inputs, params }) => ({
      class: 'MaskedConv2D',
      args: {
        in_channels: expectImage(input(inputs, 'x'), 'x').c,
        filters: params.filters,
        kernel_size: params.kernelSize,
        mask: params.mask,
        activation: params.activation,
        use_bias: params.useBias,
      },
    }),
    weights: ({ params }) => ({ kernel: ['weight', 'conv'], ...(params.useBias ? { bias: ['bias', 'same'] as const } : {}) }),
  },
  summary: (p) => `${p.filters} · ${p.kernelSize}×${p.kernelSize} · mask ${p.mask}${p.activation === 'linear' ? '' : ` · ${p.activation}`}`,
});
