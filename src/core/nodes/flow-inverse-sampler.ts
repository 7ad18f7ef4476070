import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { input, mismatch, zSize } from './common.ts';
import { exampleShape } from './sampler-condition.ts';
import type { InverseStep, SamplerDefinition, SamplerOp, SamplerPlan, SamplerPlanContext, SamplerRunContext } from './sampler-types.ts';
import { defineNode } from './types.ts';

const params = z.strictObject({
  count: zSize(4096, 64),
  /** Scales the prior's standard deviation; below 1 trades diversity for cleaner samples (Glow). */
  temperature: z.number().min(0).max(10).default(1),
});

type Params = z.infer<typeof params>;

export interface FlowPlan extends SamplerPlan {
  latent: string;
  /** The Data or Input value the chain starts from. */
  data: string;
  steps: InverseStep[];
}

/**
 * Plans running a flow backwards from its latent to its data: repeatedly
 * invert an op whose outputs are known, or run forwards an op whose inputs
 * are known (a coupling's s/t network, or an invertible kind used inside
 * one, such as a Split of its output into s and t), until the data value is
 * recovered.
 */
function planFlow({ op, opsFor, isFeed }: SamplerPlanContext<Params>): FlowPlan | { error: string } {
  const latent = op.inputs.latent!;
  const chain = opsFor([latent]);
  const source = chain.find(isFeed);
  if (!source) return { error: 'no Data or Input node starts the flow' };
  const data = Object.values(source.outputs).find((key) => chain.some((o) => Object.values(o.inputs).includes(key)))!;
  const known = new Set([latent]);
  const steps: InverseStep[] = [];
  const done = new Set<SamplerOp>([source]);
  let progress = true;
  while (!known.has(data) && progress) {
    progress = false;
    for (const candidate of [...chain].reverse()) {
      if (done.has(candidate)) continue;
      const inv = candidate.def.invertible;
      const inputs = Object.values(candidate.inputs);
      const conditioning = inv ? Object.entries(candidate.inputs).filter(([port]) => !inv.inputs.includes(port) && port !== 'logdet') : [];
      if (inv && inv.outputs.every((port) => known.has(candidate.outputs[port]!)) && conditioning.every(([, key]) => known.has(key))) {
        const refusal = inv.refuses?.(candidate.params);
        if (refusal) return { error: `${candidate.origin.node} cannot be run backwards: ${refusal}` };
        steps.push({ kind: 'inverse', op: candidate });
        for (const port of inv.inputs) if (candidate.inputs[port]) known.add(candidate.inputs[port]!);
      } else if (inputs.length > 0 && inputs.every((key) => known.has(key))) {
        steps.push({ kind: 'forward', op: candidate });
        for (const key of Object.values(candidate.outputs)) known.add(key);
      } else continue;
      done.add(candidate);
      progress = true;
    }
  }
  if (!known.has(data)) {
    // Where the way back stops: an op with a known output that could not be run, a kind without an inverse first.
    const frontier = chain.filter((o) => !done.has(o) && Object.values(o.outputs).some((key) => known.has(key)));
    const stuck = frontier.find((o) => !o.def.invertible) ?? frontier[0];
    return { error: `the chain from data to latent cannot be run backwards${stuck ? ` at ${stuck.origin.node}` : ''}` };
  }
  return { kind: 'flow', op, latent, data, steps };
}

/** Runs the plan's steps from `latent` (batch `count`) back to data space. */
function invert({ runOps, shapeOf, variablesOf }: SamplerRunContext<Params>, plan: FlowPlan, latent: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>([[plan.latent, latent]]);
    for (const step of plan.steps) {
      const op = step.op;
      if (step.kind === 'forward') {
        runOps([op], values);
        continue;
      }
      const inv = op.def.invertible!;
      const get = (key: string) => values.get(key)!;
      const conditioning = Object.entries(op.inputs).filter(([port]) => !inv.inputs.includes(port) && port !== 'logdet');
      const recovered = inv.inverse({
        params: op.params,
        outputs: Object.fromEntries(inv.outputs.map((port) => [port, get(op.outputs[port]!)])),
        inputs: Object.fromEntries(conditioning.map(([port, key]) => [port, get(key)])),
        vars: variablesOf(op),
        inputShapes: Object.fromEntries(Object.entries(op.inputs).map(([port, key]) => [port, shapeOf(key)])),
      });
      for (const port of inv.inputs) if (op.inputs[port]) values.set(op.inputs[port]!, recovered[port]!);
    }
    return values.get(plan.data)!;
  });
}

const sampler: SamplerDefinition<Params, FlowPlan> = {
  plan: planFlow,
  run: async (ctx, plan) => {
    const latent = ctx.latent ?? tf.tidy(() => tf.mul(ctx.random.normal(ctx.shapeOf(plan.latent)), ctx.params.temperature));
    const tensor = invert(ctx, plan, latent);
    if (latent !== ctx.latent) latent.dispose();
    return { kind: 'tensor', tensor };
  },
  output: (plan, values) => ({ kind: 'tensor', shape: values.valueOf(plan.data)?.shape }),
  latent: (plan) => plan.latent,
  inverse: { ends: (plan) => ({ latent: plan.latent, data: plan.data }), invert },
  export: {
    networks: (plan) => [{ name: 'invert', inputs: [{ name: 'z', key: plan.latent }], output: plan.data, ops: [], inverse: plan.steps }],
    torch: (params, plan, values) => ({ function: 'flow', args: { shape: exampleShape(values, plan.latent), temperature: params.temperature } }),
  },
};

/**
 * Generation for normalizing flows: z ~ N(0, temperature² I) at the end of
 * the flow chain, then every invertible node runs backwards to the data.
 */
export const flowInverseSamplerNode = defineNode({
  kind: 'FlowInverseSampler',
  category: 'sampler',
  title: 'Flow inverse sampler',
  description: 'Generates samples by drawing z from the standard normal (scaled by a temperature) and running the flow backwards to data space.',
  params,
  ports: {
    inputs: [{ name: 'latent', type: 'tensor', doc: 'z, the end of the flow chain' }],
    outputs: [{ name: 'samples', type: 'tensor' }],
  },
  infer: ({ inputs }) => {
    const latent = input(inputs, 'latent');
    if (latent[0] !== 'B' || latent.length < 2) throw mismatch('latent', 'the flow output [B, ...]', latent);
    // Flows keep dimensions, so samples have the latent's shape.
    return { samples: latent };
  },
  phase: 'sample',
  sampler,
  summary: (p) => `${p.count} · T ${p.temperature}`,
});
