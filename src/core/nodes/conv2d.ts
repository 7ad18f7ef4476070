import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { activate, fusedActivation, glorot, input, zActivation, zSize } from './common.ts';
import { convTorchArgs, expectImage, windowShape, zPadding } from './image-common.ts';
import { activateFused } from './activation.ts';
import { defineNode, type Init, type VariableSpec } from './types.ts';

/** A 2D convolution over NHWC images. */
export const conv2dNode = defineNode({
  kind: 'Conv2D',
  category: 'layer',
  title: 'Conv 2D',
  description: 'Slides square filters over an image [B, H, W, C] to give [B, H′, W′, filters]; stride 2 halves the size.',
  params: z.strictObject({
    filters: zSize(4096, 32),
    kernelSize: zSize(15, 3),
    strides: zSize(8, 1),
    padding: zPadding.default('same'),
    activation: zActivation.default('linear'),
    useBias: z.boolean().default(true),
    /** 'zeros' starts kernel and bias at zero: a flow's coupling network that ends with this layer starts as the identity (Glow's zero-initialised last convolution). */
    kernelInit: z.enum(['glorot', 'zeros']).default('glorot'),
  }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }], outputs: [{ name: 'y', type: 'tensor' }] },
  infer: ({ inputs, params }) => ({ y: windowShape(input(inputs, 'x'), 'x', params.kernelSize, params.strides, params.padding, params.filters) }),
  variables: ({ inputs, params }) => {
    const { c } = expectImage(input(inputs, 'x'), 'x');
    const k = params.kernelSize;
    const kernelInit: Init = params.kernelInit === 'zeros' ? { kind: 'zeros' } : glorot(k * k * c, k * k * params.filters);
    const vars: VariableSpec[] = [{ name: 'kernel', shape: [k, k, c, params.filters], init: kernelInit }];
    if (params.useBias) vars.push({ name: 'bias', shape: [params.filters], init: { kind: 'zeros' } });
    return vars;
  },
  forward: ({ inputs, vars, params, fused }) => {
    const inKernel = fusedActivation(params.activation);
    const y = tf.tidy(() => {
      const out = tf.fused.conv2d({
        x: inputs.x as tf.Tensor4D,
        filter: vars.kernel as tf.Tensor4D,
        strides: params.strides,
        pad: params.padding,
        bias: params.useBias ? vars.bias : undefined,
        activation: inKernel ?? 'linear',
      });
      // TF.js fuses relu and sigmoid into the product; the others as one kernel where the fused kernels run.
      return inKernel ? out : fused ? activateFused(out, params.activation) : activate(out, params.activation);
    });
    return { y };
  },
  torch: {
    module: ({ inputs, params }) => ({ class: 'Conv2D', args: convTorchArgs(inputs, params) }),
    weights: ({ params }) => ({ kernel: ['weight', 'conv'], ...(params.useBias ? { bias: ['bias', 'same'] as const } : {}) }),
  },
  summary: (p) => `${p.filters} · ${p.kernelSize}×${p.kernelSize}${p.strides > 1 ? ` /${p.strides}` : ''}${p.activation === 'linear' ? '' : ` · ${p.activation}`}${p.kernelInit === 'zeros' ? ' · zero init' : ''}`,
});
