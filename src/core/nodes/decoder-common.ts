/**
 * The builder behind Decoder and Generator: the same network from a latent
 * code to a sample, with defaults for a VAE decoder or a DCGAN generator.
 */
import { z } from 'zod';
import { expectRank, input, lastDim, mismatch, zActivation, type ActivationName } from './common.ts';
import { ExpansionBuilder, torchLayer, torchNorm, type Ref, type TorchWeightMap } from './expansion-builder.ts';
import { defineNode, type NodeDefinition } from './types.ts';

const zOutputActivation = z.enum(['linear', 'sigmoid', 'tanh']);

interface DecoderDefaults {
  architecture: 'mlp' | 'conv';
  hidden: number[];
  activation: ActivationName;
  outputActivation: z.infer<typeof zOutputActivation>;
  outputShape: number[];
  batchNorm: boolean;
}

function decoderParams(d: DecoderDefaults) {
  return z
    .strictObject({
      architecture: z.enum(['mlp', 'conv']).default(d.architecture),
      /** 'mlp': widths of the Dense layers. 'conv': channels after the first Dense, then after each upsampling but the last. */
      hidden: z.array(z.int().min(1).max(4096)).max(6).default(d.hidden),
      activation: zActivation.default(d.activation),
      outputActivation: zOutputActivation.default(d.outputActivation),
      /** Shape of one sample: [D] for vectors, [H, W, C] for images. */
      outputShape: z.array(z.int().min(1).max(65536)).min(1).max(3).default(d.outputShape),
      /** 'conv': batch norm before each hidden activation (DCGAN). */
      batchNorm: z.boolean().default(d.batchNorm),
    })
    .superRefine((p, ctx) => {
      if (p.architecture !== 'conv') return;
      if (p.hidden.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['hidden'], message: "the 'conv' architecture needs at least one channel count" });
        return;
      }
      const [h, w] = p.outputShape;
      const scale = 2 ** p.hidden.length;
      if (p.outputShape.length !== 3) {
        ctx.addIssue({ code: 'custom', path: ['outputShape'], message: "the 'conv' architecture makes images: give [H, W, C]" });
      } else if (h! % scale !== 0 || w! % scale !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['outputShape'],
          message: `${p.hidden.length} upsampling steps need a height and width divisible by ${scale}`,
        });
      }
    });
}

type DecoderParams = z.infer<ReturnType<typeof decoderParams>>;

function expandDecoder(p: DecoderParams) {
  const b = new ExpansionBuilder();
  let h: Ref = { input: 'z' };
  if (p.architecture === 'mlp') {
    p.hidden.forEach((units, i) => {
      h = b.then(h, `fc${i}`, 'Dense', { units, activation: p.activation });
    });
    const size = p.outputShape.reduce((a, c) => a * c, 1);
    h = b.then(h, 'out', 'Dense', { units: size, activation: p.outputActivation });
    if (p.outputShape.length > 1) h = b.then(h, 'reshape', 'Reshape', { shape: p.outputShape });
    b.output('x', h);
    return b.build();
  }
  // DCGAN: project to a small image, then double it with each transposed conv.
  const [outH, outW, outC] = p.outputShape as [number, number, number];
  const scale = 2 ** p.hidden.length;
  const [h0, w0, c0] = [outH / scale, outW / scale, p.hidden[0]!];
  // A bias before batch norm is redundant with its beta.
  const inner = p.batchNorm ? { activation: 'linear', useBias: false } : { activation: p.activation };
  const normAct = (from: Ref, i: number): Ref =>
    p.batchNorm ? b.then(b.then(from, `bn${i}`, 'BatchNorm'), `act${i}`, 'Activation', { fn: p.activation }) : from;
  h = b.then(h, 'fc', 'Dense', { units: h0 * w0 * c0, ...inner });
  h = normAct(b.then(h, 'reshape', 'Reshape', { shape: [h0, w0, c0] }), 0);
  p.hidden.slice(1).forEach((filters, j) => {
    const i = j + 1;
    h = normAct(b.then(h, `deconv${i}`, 'Conv2DTranspose', { filters, kernelSize: 4, strides: 2, padding: 'same', ...inner }), i);
  });
  h = b.then(h, 'out', 'Conv2DTranspose', { filters: outC, kernelSize: 4, strides: 2, padding: 'same', activation: p.outputActivation });
  b.output('x', h);
  return b.build();
}

/** The expansion's variables as the Python Decoder / Generator names them: body.i / out, or fc, bn.i, up.i and out. */
function torchDecoderWeights(p: DecoderParams): TorchWeightMap {
  if (p.architecture === 'mlp') {
    return Object.assign({}, ...p.hidden.map((_, i) => torchLayer(`fc${i}`, `body.${i}.`, 'linear')), torchLayer('out', 'out.', 'linear')) as TorchWeightMap;
  }
  const bias = !p.batchNorm;
  return Object.assign(
    {},
    torchLayer('fc', 'fc.', 'linear', bias),
    ...p.hidden.slice(1).map((_, j) => torchLayer(`deconv${j + 1}`, `up.${j + 1}.`, 'convT', bias)),
    ...(p.batchNorm ? p.hidden.map((_, i) => torchNorm(`bn${i}`, `bn.${i}.`)) : []),
    torchLayer('out', 'out.', 'convT'),
  ) as TorchWeightMap;
}

export function makeDecoderNode(kind: string, title: string, description: string, defaults: DecoderDefaults): NodeDefinition<DecoderParams> {
  return defineNode({
    kind,
    category: 'block',
    title,
    description,
    params: decoderParams(defaults),
    ports: { inputs: [{ name: 'z', type: 'tensor', doc: 'latent code [B, latent]' }], outputs: [{ name: 'x', type: 'tensor' }] },
    infer: ({ inputs, params }) => {
      const z = input(inputs, 'z');
      expectRank(z, 'z', 2, 2, 'a latent code [B, latent]');
      lastDim(z, 'z');
      if (z[0] !== 'B') throw mismatch('z', 'a latent code [B, latent]', z);
      return { x: ['B', ...params.outputShape] };
    },
    expand: ({ params }) => expandDecoder(params),
    torch: {
      module: ({ inputs, params }) => ({
        class: kind,
        args: {
          latent: lastDim(input(inputs, 'z'), 'z'),
          architecture: params.architecture,
          hidden: params.hidden,
          activation: params.activation,
          output_activation: params.outputActivation,
          output_shape: params.outputShape,
          batch_norm: params.batchNorm,
        },
      }),
      weights: ({ params }) => torchDecoderWeights(params),
    },
    summary: (p) => `${p.architecture} [${p.hidden.join(', ')}] → [${p.outputShape.join(', ')}]${p.outputActivation === 'linear' ? '' : ` · ${p.outputActivation}`}`,
  });
}
