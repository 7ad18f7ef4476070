/**
 * What a compiled graph is, read from its structure: what its objectives'
 * loss nodes compute, what its samplers produce, which data it reads. The
 * held-out metrics, the judge, the previews and the bench baseline follow
 * from these, never from `meta.family` (a label for the gallery), so a
 * custom graph gets what a preset of the same structure gets.
 */
import { concrete } from '../base/shape.ts';
import { opsFor, type CompiledObjective, type Program, type SamplerPlan } from '../compiler/program.ts';
import { planOutput, samplerOf, type SamplerValues } from '../nodes/sampler-types.ts';

export type SampleLayout = { kind: 'image'; height: number; width: number; channels: 1 | 3 } | { kind: 'points' } | { kind: 'other' };

/** How one sample of this shape (batch axis first) is drawn; the same rule as render/samples.ts. */
export function sampleLayout(shape: readonly number[]): SampleLayout {
  const rest = shape.slice(1);
  if (rest.length === 1) {
    const d = rest[0]!;
    if (d === 2) return { kind: 'points' };
    const side = Math.round(Math.sqrt(d));
    if (d > 16 && side * side === d) return { kind: 'image', height: side, width: side, channels: 1 };
    return { kind: 'other' };
  }
  if (rest.length === 2) return { kind: 'image', height: rest[0]!, width: rest[1]!, channels: 1 };
  if (rest.length === 3 && (rest[2] === 1 || rest[2] === 3)) return { kind: 'image', height: rest[0]!, width: rest[1]!, channels: rest[2] };
  return { kind: 'other' };
}

const valuesOf = (program: Pick<Program, 'analysis'>): SamplerValues => ({ valueOf: (key) => program.analysis.values.get(key) });

/** The shape (batch 1) of what a sampler produces; undefined for tokens. */
export function samplerOutputShape(program: Pick<Program, 'analysis'>, plan: SamplerPlan): number[] | undefined {
  const output = planOutput(plan, valuesOf(program));
  return output.kind === 'tensor' && output.shape ? concrete(output.shape, 1) : undefined;
}

/** Held-out numbers named for what an objective's total is, each in one unit. */
export type HeldOutMetric = 'negElbo' | 'valNatsPerChar' | 'valNll';

type LossOp = CompiledObjective['losses'][number];
const param = (op: LossOp, name: string): unknown => (op.params as Record<string, unknown>)[name];

/**
 * The metric an objective's total is, by its loss nodes; undefined when it
 * is none. Only unweighted losses count: a weighted sum is another quantity.
 * - ReconstructionLoss (BCE summed per example) + KLDivergence: the negative
 *   ELBO, nats per example (`negElbo`);
 * - NextTokenCrossEntropy alone: nats per token, a character in this
 *   project's text data (`valNatsPerChar`);
 * - FlowNLL alone, per example rather than per dimension (`valNll`).
 */
export function objectiveMetric(objective: Pick<CompiledObjective, 'losses'>): HeldOutMetric | undefined {
  const { losses } = objective;
  if (losses.length === 0 || losses.some((op) => (param(op, 'weight') ?? 1) !== 1)) return undefined;
  const kinds = losses.map((op) => op.kind).sort().join(',');
  if (kinds === 'KLDivergence,ReconstructionLoss') {
    const reconstruction = losses.find((op) => op.kind === 'ReconstructionLoss')!;
    return param(reconstruction, 'loss') === 'bce' && param(reconstruction, 'reduction') === 'sum' ? 'negElbo' : undefined;
  }
  if (kinds === 'NextTokenCrossEntropy') return 'valNatsPerChar';
  if (kinds === 'FlowNLL' && param(losses[0]!, 'perDimension') !== true) return 'valNll';
  return undefined;
}

/** Each metric the graph has and the objective whose total it is, in objective order; one that two objectives have is ambiguous and left out. */
export function heldOutMetrics(program: Pick<Program, 'objectives'>): { metric: HeldOutMetric; objective: string }[] {
  const found = program.objectives.flatMap((o) => {
    const metric = objectiveMetric(o);
    return metric ? [{ metric, objective: o.id }] : [];
  });
  return found.filter((f) => found.filter((g) => g.metric === f.metric).length === 1);
}

/** The first sampler that runs the training path backwards (a flow's), whose round trip f⁻¹(f(x)) = x can be measured. */
export function invertibleSampler(program: Pick<Program, 'samplers'>): SamplerPlan | undefined {
  return program.samplers.find((plan) => samplerOf(plan).inverse !== undefined);
}

/** Reads MNIST: generated 28×28 grey images are then digits the MNIST classifier can judge. */
function readsMnist(program: Pick<Program, 'feeds'>): boolean {
  return program.feeds.some((op) => op.kind === 'Data' && (op.params as { dataset?: string }).dataset === 'mnist');
}

/** Samplers whose images the MNIST judge scores: 28×28 grey images (flat 784 or [28, 28, 1]) of a graph that reads MNIST. */
export function judgedSamplers(program: Pick<Program, 'analysis' | 'feeds' | 'samplers'>): SamplerPlan[] {
  if (!readsMnist(program)) return [];
  return program.samplers.filter((plan) => {
    const shape = samplerOutputShape(program, plan);
    const layout = shape ? sampleLayout(shape) : undefined;
    return layout?.kind === 'image' && layout.height === 28 && layout.width === 28 && layout.channels === 1;
  });
}

/**
 * A sampler whose latent is worth walking: it decodes a latent it may be
 * given (`latent()` in its definition), and that latent is what the model
 * makes of the data (the value depends on a feed): a VAE's encoder, a
 * flow's forward pass. A latent that is fresh noise (a GAN's Noise node) is
 * not walked; with this rule every preset keeps the previews it had.
 */
export function walksEncodedLatent(program: Pick<Program, 'analysis' | 'producers' | 'feeds'>, plan: SamplerPlan): boolean {
  const latent = samplerOf(plan).latent?.(plan);
  if (latent === undefined) return false;
  const feeds = new Set(program.feeds);
  return opsFor(program.analysis, program.producers, [latent]).some((op) => feeds.has(op));
}

/** Objectives with an adversarial loss; two or more pull against each other (a GAN's game). */
export function adversarialObjectives(program: Pick<Program, 'objectives'>): CompiledObjective[] {
  return program.objectives.filter((o) => o.losses.some((op) => op.kind === 'AdversarialLoss'));
}

/**
 * Values per example of the discrete data an objective dequantizes (a
 * Dequantize op on its path), so that its NLL in nats per example reads as
 * bits per dimension, the unit image flows are compared in; undefined when
 * it models continuous data.
 */
export function dequantizedDimensions(program: Pick<Program, 'objectives' | 'analysis'>, objective: string): number | undefined {
  const ops = program.objectives.find((o) => o.id === objective)?.ops ?? [];
  const dequantize = ops.find((op) => op.kind === 'Dequantize');
  const shape = dequantize && program.analysis.values.get(Object.values(dequantize.inputs)[0]!)?.shape;
  return shape ? concrete(shape, 1).reduce((a, b) => a * b, 1) : undefined;
}
