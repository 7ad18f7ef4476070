import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, mismatch, zSize } from './common.ts';
import type { SamplerDefinition, SamplerOp, SamplerPlan } from './sampler-types.ts';
import { conditionParams, conditionPort, exampleShape } from './sampler-condition.ts';
import { defineNode } from './types.ts';

const params = z.strictObject({
  count: zSize(4096, 64),
  ...conditionParams,
  /** Standard normal, or uniform on [-1, 1) like the Noise node. */
  distribution: z.enum(['normal', 'uniform']).default('normal'),
  /** Applied to the output, e.g. sigmoid for a VAE decoder that outputs logits. */
  transform: z.enum(['none', 'sigmoid', 'tanh']).default('none'),
});

export interface PriorPlan extends SamplerPlan {
  /** The value replaced by prior draws. */
  latent: string;
  output: string;
  /** From the latent to the output. */
  ops: SamplerOp[];
}

const sampler: SamplerDefinition<z.infer<typeof params>, PriorPlan> = {
  plan: ({ op, opsFor }) => {
    const latent = op.inputs.latent!;
    const output = op.inputs.output!;
    const ops = opsFor([output], new Set([latent]));
    if (!ops.some((o) => Object.values(o.inputs).includes(latent))) return { error: 'its output does not depend on its latent input' };
    return { kind: 'prior', op, latent, output, ops };
  },
  run: async ({ params, random, runOps, shapeOf, latent: given }, plan) => {
    const tensor = tf.tidy(() => {
      const shape = shapeOf(plan.latent);
      const latent = given ?? (params.distribution === 'normal' ? random.normal(shape) : tf.sub(tf.mul(random.uniform(shape), 2), 1));
      const values = runOps(plan.ops, new Map([[plan.latent, latent]]));
      const output = values.get(plan.output)!;
      return params.transform === 'sigmoid' ? tf.sigmoid(output) : params.transform === 'tanh' ? tf.tanh(output) : output;
    });
    return { kind: 'tensor', tensor };
  },
  output: (plan, values) => ({ kind: 'tensor', shape: values.valueOf(plan.output)?.shape }),
  latent: (plan) => plan.latent,
  export: {
    networks: (plan) => [{ name: 'decode', inputs: [{ name: 'z', key: plan.latent }], output: plan.output, ops: plan.ops }],
    torch: (params, plan, values) => ({ function: 'prior', args: { shape: exampleShape(values, plan.latent), distribution: params.distribution, transform: params.transform } }),
  },
};

/**
 * Generation for VAEs and GANs: the latent tensor of the training graph is
 * replaced by draws from the prior and the graph is run up to `output`.
 * The sampling runtime provides the running; this node plans and loops.
 */
export const priorSamplerNode = defineNode({
  kind: 'PriorSampler',
  category: 'sampler',
  title: 'Prior sampler',
  description: "Generates samples by feeding prior noise in place of the latent (a VAE's z, a GAN's noise) and reading the decoder or generator output.",
  params,
  ports: {
    inputs: [
      { name: 'latent', type: 'tensor', doc: 'the tensor replaced by prior noise' },
      { name: 'output', type: 'tensor', doc: 'the decoder or generator output' },
      conditionPort,
    ],
    outputs: [{ name: 'samples', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const latent = input(inputs, 'latent');
    if (latent[0] !== 'B') throw mismatch('latent', 'a per-example latent [B, ...]', latent);
    const output = input(inputs, 'output');
    if (output[0] !== 'B') throw mismatch('output', 'a per-example output [B, ...]', output);
    return { samples: output };
  },
  phase: 'sample',
  sampler,
  summary: (p) => `${p.count} · ${p.distribution}${p.transform === 'none' ? '' : ` · ${p.transform}`}`,
});
