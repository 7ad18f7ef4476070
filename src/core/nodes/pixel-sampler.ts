import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Shape } from '../base/shape.ts';
import { sampleToken } from './autoregressive-sampler.ts';
import { input, mismatch, zSize } from './common.ts';
import { expectImage } from './image-common.ts';
import type { SamplerDefinition, SamplerOp, SamplerPlan, SamplerPlanContext, SamplerRunContext, SamplerValues } from './sampler-types.ts';
import { conditionParams, conditionPort, exampleShape } from './sampler-condition.ts';
import { defineNode, type NodePorts } from './types.ts';

const params = z.strictObject({
  /** Images (or code maps) drawn at once. */
  count: zSize(4096, 16),
  /** What the draws take the place of: an image (tensor) or a map of code ids (tokens [B, H, W]). */
  replaces: z.enum(['image', 'codes']).default('image'),
  /** Divides the scores before each draw: below 1 sharpens, above 1 flattens. */
  temperature: z.number().gt(0).max(100).default(1),
  ...conditionParams,
});

type Params = z.infer<typeof params>;

/**
 * How a pixel is drawn from its scores:
 * - bernoulli: one logit per channel, value 1 with probability sigmoid(logit), else 0;
 * - levels: K scores of a one-channel image, level k of K with softmax probability, value k / (K − 1);
 * - codes: K scores, code id k with softmax probability.
 */
export type PixelDraw = 'bernoulli' | 'levels' | 'codes';

/** The draw that scores of shape `scores` make for `replaced` (an image [B, H, W, C] or a code map [B, H, W]), or why they do not fit. */
export function pixelDraw(replaces: Params['replaces'], replaced: Shape, scores: Shape): { draw: PixelDraw } | { port: string; expected: string; got: Shape } {
  if (replaces === 'codes') {
    const [b, h, w] = replaced;
    if (replaced.length !== 3 || b !== 'B' || typeof h !== 'number' || typeof w !== 'number') return { port: 'codes', expected: 'a map of code ids [B, H, W]', got: replaced };
    const k = scores[3];
    if (scores.length !== 4 || scores[0] !== 'B' || scores[1] !== h || scores[2] !== w || typeof k !== 'number' || k < 2) {
      return { port: 'scores', expected: `scores [B, ${h}, ${w}, K] over the K ≥ 2 code ids at each position of the code map`, got: scores };
    }
    return { draw: 'codes' };
  }
  const { h, w, c } = expectImage(replaced, 'image');
  const k = scores[3];
  if (scores.length === 4 && scores[0] === 'B' && scores[1] === h && scores[2] === w && typeof k === 'number') {
    if (k === c) return { draw: 'bernoulli' };
    if (c === 1 && k >= 2) return { draw: 'levels' };
  }
  const levels = c === 1 ? `, or scores [B, ${h}, ${w}, K] over K ≥ 2 grey levels` : '';
  return { port: 'scores', expected: `Bernoulli logits [B, ${h}, ${w}, ${c}], one per value of the image${levels}`, got: scores };
}

export interface PixelPlan extends SamplerPlan {
  scores: string;
  /** The image or code map that the draws replace. */
  replaced: string;
  draw: PixelDraw;
  /** From the replaced value to the scores. */
  ops: SamplerOp[];
}

function planPixels({ op, params, opsFor, valueOf }: SamplerPlanContext<Params>): PixelPlan | { error: string } {
  const port = params.replaces;
  const scores = op.inputs.scores!;
  const replaced = op.inputs[port]!;
  const ops = opsFor([scores], new Set([replaced]));
  if (!ops.some((o) => Object.values(o.inputs).includes(replaced))) {
    return { error: `its scores do not depend on its ${port} input: connect the ${port === 'image' ? 'image' : 'code map'} that the scores are computed from` };
  }
  const fit = pixelDraw(port, valueOf(replaced)?.shape ?? [], valueOf(scores)?.shape ?? []);
  if (!('draw' in fit)) return { error: `its ${fit.port} input should be ${fit.expected}` };
  // Code ids are drawn below the scores' last size and fed back: every table they index must hold them.
  const drawn = valueOf(scores)?.shape.at(-1);
  if (fit.draw === 'codes' && typeof drawn === 'number') {
    for (const consumer of ops) {
      const shapes = Object.fromEntries(Object.entries(consumer.inputs).map(([p, key]) => [p, valueOf(key)?.shape ?? []]));
      for (const { port: indexed, limit, what } of consumer.def.tokenIds?.indexes?.(consumer.params, shapes) ?? []) {
        if (consumer.inputs[indexed] === replaced && drawn > limit) {
          return { error: `it draws code ids up to ${drawn - 1} from the ${drawn} scores at each position and feeds them to "${consumer.origin.node}", but ${what}` };
        }
      }
    }
  }
  return { kind: 'pixel', op, scores, replaced, draw: fit.draw, ops };
}

/**
 * Fills the image (or code map) in raster order, row by row and left to
 * right: for each position it runs the model on what is drawn so far (zeros
 * after it), reads the scores at that position and draws its values.
 */
async function drawPixels({ params, count, rng, runOps, shapeOf }: SamplerRunContext<Params>, plan: PixelPlan): Promise<tf.Tensor> {
  const shape = shapeOf(plan.replaced);
  const [, height, width] = shape as [number, number, number];
  const channels = shape[3] ?? 1;
  const k = shapeOf(plan.scores)[3]!;
  const dtype = plan.draw === 'codes' ? 'int32' : 'float32';
  const values = dtype === 'int32' ? new Int32Array(count * height * width) : new Float32Array(count * height * width * channels);
  const t = params.temperature;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const at = tf.tidy(() => {
        const out = runOps(plan.ops, new Map([[plan.replaced, tf.tensor(values, shape, dtype)]]));
        return tf.slice(out.get(plan.scores)!, [0, row, column, 0], [count, 1, 1, k]);
      });
      const scores = (await at.data()) as Float32Array;
      at.dispose();
      const position = row * width + column;
      for (let b = 0; b < count; b++) {
        const own = scores.subarray(b * k, (b + 1) * k);
        const base = (b * height * width + position) * channels;
        if (plan.draw === 'bernoulli') {
          for (let c = 0; c < channels; c++) values[base + c] = rng.uniform() < 1 / (1 + Math.exp(-own[c]! / t)) ? 1 : 0;
        } else {
          const level = sampleToken(own, t, 0, rng.uniform());
          values[base] = plan.draw === 'codes' ? level : level / (k - 1);
        }
      }
    }
  }
  return tf.tensor(values, shape, dtype);
}

const sampler: SamplerDefinition<Params, PixelPlan> = {
  plan: planPixels,
  run: async (ctx, plan) => ({ kind: 'tensor', tensor: await drawPixels(ctx, plan) }),
  output: (plan, values: SamplerValues) => ({ kind: 'tensor', shape: values.valueOf(plan.replaced)?.shape }),
  passes: (plan, values) => {
    const [, h, w] = values.valueOf(plan.replaced)?.shape ?? [];
    return typeof h === 'number' && typeof w === 'number' ? h * w : undefined;
  },
  autoregressive: (plan) => ({ scores: plan.scores, replaces: plan.replaced }),
  export: {
    networks: (plan) => [{ name: 'scores', inputs: [{ name: 'values', key: plan.replaced }], output: plan.scores, ops: plan.ops }],
    torch: (params, plan, values) => ({
      function: 'pixels',
      args: { shape: exampleShape(values, plan.replaced), scores: exampleShape(values, plan.scores).at(-1)!, draw: plan.draw, temperature: params.temperature },
    }),
  },
};

function ports(p: Params): NodePorts {
  const codes = p.replaces === 'codes';
  return {
    inputs: [
      { name: 'scores', type: 'tensor', doc: "the model's scores at each position: Bernoulli logits [B, H, W, C] of a binary image, or [B, H, W, K] over K grey levels or code ids" },
      codes
        ? { name: 'codes', type: 'tokens', doc: 'the code map [B, H, W] the scores are computed from, which the drawn ids replace' }
        : { name: 'image', type: 'tensor', doc: 'the image [B, H, W, C] the scores are computed from, which the drawn pixels replace' },
      conditionPort,
    ],
    outputs: [{ name: 'samples', type: codes ? 'tokens' : 'tensor', doc: codes ? 'code maps [count, H, W]' : 'images [count, H, W, C]' }],
  };
}

/**
 * Generation for PixelCNN-like models: a model whose scores at each
 * position read only the positions before it in raster order (its first
 * layer a MaskedConv2D with mask A) is sampled position by position, one
 * run of the model per position.
 */
export const pixelSamplerNode = defineNode({
  kind: 'PixelSampler',
  category: 'sampler',
  title: 'Pixel sampler',
  description:
    "Generates images (or maps of code ids, for a prior over a VQ-VAE's codes) one position at a time in raster order, row by row and left to right, from a model whose scores at each position read only the positions before it (a PixelCNN, whose first MaskedConv2D has mask A): one run of the model per position, the rest of the image zeros. Scores with one logit per channel draw binary pixels (0 or 1, as the targets of a binary cross-entropy); K scores of a one-channel image draw one of K grey levels, level k as k / (K − 1); K scores of a code map [B, H, W] (replaces: codes) draw code ids.",
  params,
  ports,
  infer: ({ inputs, params }) => {
    const replaced = input(inputs, params.replaces);
    const scores = input(inputs, 'scores');
    const fit = pixelDraw(params.replaces, replaced, scores);
    if (!('draw' in fit)) throw mismatch(fit.port, fit.expected, fit.got);
    return { samples: replaced };
  },
  phase: 'sample',
  sampler,
  summary: (p) => `${p.count} · ${p.replaces}${p.temperature === 1 ? '' : ` · temperature ${p.temperature}`}`,
});
