import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, zSize } from './common.ts';
import { expectImage } from './image-common.ts';
import { defineNode } from './types.ts';

/**
 * Nearest-neighbour upsampling by repeating pixels. Built from reshape and
 * concat (rank 3 at most) so it has a gradient on every backend; concat
 * rather than tile because WASM's Tile is about 15 times slower here.
 */
export const upsample2dNode = defineNode({
  kind: 'Upsample2D',
  category: 'layer',
  title: 'Upsample 2D',
  description: 'Enlarges an image by repeating each pixel factor × factor times (nearest neighbour).',
  params: z.strictObject({ factor: zSize(8, 2) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const { h, w, c } = expectImage(input(inputs, 'x'), 'x');
    return { y: ['B', h * params.factor, w * params.factor, c] };
  },
  forward: ({ inputs, params }) => {
    const x = inputs.x!;
    const f = params.factor;
    if (f === 1) return { y: x };
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const y = tf.tidy(() => {
      const repeat = (t: tf.Tensor) => tf.concat(Array.from({ length: f }, () => t), 1);
      // Repeat each pixel along the width: [B·H·W, 1, C] -> [B·H·W, f, C] = [B·H, 1, W·f·C].
      const wide = tf.reshape(repeat(tf.reshape(x, [b * h * w, 1, c])), [b * h, 1, w * f * c]);
      // Then each row along the height: [B·H, f, W·f·C] -> [B, H·f, W·f, C].
      return tf.reshape(repeat(wide), [b, h * f, w * f, c]);
    });
    return { y };
  },
  torch: { inline: ({ factor }, inputs) => ({ y: factor === 1 ? inputs.x! : `${inputs.x}.repeat_interleave(${factor}, dim=1).repeat_interleave(${factor}, dim=2)` }) },
  summary: (p) => `×${p.factor}`,
});
