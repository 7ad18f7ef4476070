/**
 * The networks an exported sampler runs: its kind's own (a decoder, a
 * denoiser, next-token logits, a flow run backwards), each reading the
 * chosen class labels where the graph conditions it on them, plus what every
 * sampler may need besides: a held-out batch's labels, and the nodes after
 * its loop (a latent sampler's decoder). model.py writes each as a method of
 * Model; ONNX export writes each as a model.
 */
import type { SamplerNetwork, SamplerOp, SamplerPlan } from '../nodes/sampler-types.ts';
import { samplerOf } from '../nodes/sampler-types.ts';

/** The name of the labels input, in every network that reads them. */
export const LABELS_INPUT = 'labels';

/** Ops a network runs, forwards or as conditioning steps of a flow run backwards. */
export function networkOps(network: SamplerNetwork): readonly SamplerOp[] {
  return network.inverse ? network.inverse.map((s) => s.op) : network.ops;
}

function readsValue(ops: readonly SamplerOp[], key: string): boolean {
  return ops.some((op) => Object.values(op.inputs).includes(key));
}

/**
 * Every network of a plan, or undefined for a kind export cannot write
 * (a sampler kind without an `export` form). Names are unique in the plan.
 */
export function samplerNetworks(plan: SamplerPlan): SamplerNetwork[] | undefined {
  const form = samplerOf(plan).export;
  if (!form) return undefined;
  const condition = plan.condition;
  const withLabels = (network: SamplerNetwork): SamplerNetwork =>
    condition && readsValue(networkOps(network), condition.key) ? { ...network, inputs: [...network.inputs, { name: LABELS_INPUT, key: condition.key }] } : network;
  const networks = form.networks(plan).map(withLabels);
  if (condition) networks.push({ name: 'held_out_labels', inputs: [], output: condition.key, ops: condition.ops });
  if (plan.after) networks.push(withLabels({ name: 'after', inputs: [{ name: 'x', key: plan.after.from }], output: plan.after.result, ops: plan.after.ops }));
  return networks;
}
