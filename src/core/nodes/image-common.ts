/** Pieces shared by the image layers (NHWC layout: [B, H, W, C]). */
import { z } from 'zod';
import type { Shape } from '../base/shape.ts';
import { expectRank, input, lastDim, mismatch } from './common.ts';
import type { PyValue } from '../base/python.ts';

export const zPadding = z.enum(['same', 'valid']);
export type Padding = z.infer<typeof zPadding>;

/** Sizes of an image input: a fixed height, width and channel count after the batch axis. */
export function expectImage(shape: Shape, port: string): { h: number; w: number; c: number } {
  const [b, h, w, c] = shape;
  if (shape.length !== 4 || b !== 'B' || typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    throw mismatch(port, 'an image [B, H, W, C]', shape);
  }
  return { h, w, c };
}

/**
 * The input check of blocks with an 'mlp' or a 'conv' body (Encoder,
 * Discriminator): 'conv' needs an image; 'mlp' takes features [B, D], or a
 * [B, ...] input with a fixed last axis that it flattens first.
 */
export function expectFeaturesOrImage(x: Shape, port: string, architecture: 'mlp' | 'conv'): void {
  if (architecture === 'conv') {
    expectImage(x, port);
    return;
  }
  expectRank(x, port, 2, 4, '[B, features] (or [B, ...] to flatten)');
  lastDim(x, port);
}

/** TensorFlow's output size of a strided window: 'same' keeps ceil(n / s), 'valid' only whole windows. */
export function windowOutput(n: number, window: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - window) / stride) + 1;
}

/** Output [B, H', W', channels] of a conv or pool window over an image, or an error if the window does not fit. */
export function windowShape(x: Shape, port: string, window: number, stride: number, padding: Padding, channels?: number): Shape {
  const { h, w, c } = expectImage(x, port);
  if (padding === 'valid' && (h < window || w < window)) {
    throw mismatch(port, `an image at least ${window}×${window}, the size of a 'valid' window`, x);
  }
  return ['B', windowOutput(h, window, stride, padding), windowOutput(w, window, stride, padding), channels ?? c];
}

/** The keyword arguments of gencomposer.Conv2D and Conv2DTranspose, which take the same, for a convolution node's torch form. */
export function convTorchArgs(
  inputs: Readonly<Record<string, Shape>>,
  params: { filters: number; kernelSize: number; strides: number; padding: string; activation: string; useBias: boolean },
): Record<string, PyValue> {
  return {
    in_channels: expectImage(input(inputs, 'x'), 'x').c,
    filters: params.filters,
    kernel_size: params.kernelSize,
    strides: params.strides,
    padding: params.padding,
    activation: params.activation,
    use_bias: params.useBias,
  };
}
