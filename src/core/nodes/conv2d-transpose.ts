import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { activate, glorot, input, zActivation, zSize } from './common.ts';
import { convTorchArgs, expectImage, zPadding, type Padding } from './image-common.ts';
import { activateFused } from './activation.ts';
import { defineNode, type VariableSpec } from './types.ts';

/** Output size of a transposed convolution: the input size a conv with these settings maps back to n. */
function transposedSize(n: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? n * stride : (n - 1) * stride + kernel;
}

/** The transpose (gradient) of a convolution: learned upsampling for decoders and generators. */
export const conv2dTransposeNode = defineNode({
  kind: 'Conv2DTranspose',
  category: 'layer',
  title: 'Conv 2D transpose',
  description: "Learned upsampling of an image [B, H, W, C]: stride 2 with 'same' padding doubles the height and width.",
  params: z.strictObject({
    filters: zSize(4096, 32),
    kernelSize: zSize(15, 4),
    strides: zSize(8, 2),
    padding: zPadding.default('same'),
    activation: zActivation.default('linear'),
    useBias: z.boolean().default(true),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => {
    const { h, w } = expectImage(input(inputs, 'x'), 'x');
    const { kernelSize: k, strides: s, padding } = params;
    return { y: ['B', transposedSize(h, k, s, padding), transposedSize(w, k, s, padding), params.filters] };
  },
  variables: ({ inputs, params }) => {
    const { c } = expectImage(input(inputs, 'x'), 'x');
    const k = params.kernelSize;
    // tf.conv2dTranspose takes the kernel of the conv it transposes: [k, k, out, in].
    const vars: VariableSpec[] = [{ name: 'kernel', shape: [k, k, params.filters, c], init: glorot(k * k * c, k * k * params.filters) }];
    if (params.useBias) vars.push({ name: 'bias', shape: [params.filters], init: { kind: 'zeros' } });
    return vars;
  },
  forward: ({ inputs, vars, params, outputShapes, fused }) => {
    const x = inputs.x as tf.Tensor4D;
    const [, h, w, c] = outputShapes.y!;
    const y = tf.tidy(() => {
      let out: tf.Tensor = tf.conv2dTranspose(x, vars.kernel as tf.Tensor4D, [x.shape[0], h!, w!, c!], params.strides, params.padding);
      if (params.useBias) out = tf.add(out, vars.bias!);
      return fused ? activateFused(out, params.activation) : activate(out, params.activation);
    });
    return { y };
  },
  torch: {
    module: ({ inputs, params }) => ({ class: 'Conv2DTranspose', args: convTorchArgs(inputs, params) }),
    weights: ({ params }) => ({ kernel: ['weight', 'convT'], ...(params.useBias ? { bias: ['bias', 'same'] as const } : {}) }),
  },
  summary: (p) => `${p.filters} · ${p.kernelSize}×${p.kernelSize}${p.strides > 1 ? ` ×${p.strides}` : ''}${p.activation === 'linear' ? '' : ` · ${p.activation}`}`,
});
