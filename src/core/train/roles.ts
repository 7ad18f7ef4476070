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
import type { FlatOp } from '../shapes/analyze.ts';

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
export type HeldOutMetric = 'negElbo' | 'valNatsPerChar' | 'valNll' | 'valNatsPerCode';

type LossOp = CompiledObjective['losses'][number];
const param = (op: LossOp, name: string): unknown => (op.params as Record<string, unknown>)[name];

/**
 * The metric the unweighted sum of these loss nodes is; undefined when it is none.
 * - ReconstructionLoss (BCE summed per example) + KLDivergence: the negative
 *   ELBO, nats per example (`negElbo`);
 * - NextTokenCrossEntropy alone: nats per token, a character in this
 *   project's text data (`valNatsPerChar`);
 * - FlowNLL alone, per example rather than per dimension (`valNll`).
 */
function metricOfLosses(losses: readonly LossOp[]): HeldOutMetric | undefined {
  if (losses.length === 0) return undefined;
  const kinds = losses.map((op) => op.kind).sort().join(',');
  if (kinds === 'KLDivergence,ReconstructionLoss') {
    const reconstruction = losses.find((op) => op.kind === 'ReconstructionLoss')!;
    return param(reconstruction, 'loss') === 'bce' && param(reconstruction, 'reduction') === 'sum' ? 'negElbo' : undefined;
  }
  if (kinds === 'NextTokenCrossEntropy') return 'valNatsPerChar';
  if (kinds === 'FlowNLL' && param(losses[0]!, 'perDimension') !== true) return 'valNll';
  return undefined;
}

/** Whether training weighs any of the losses (a weight other than 1, or a weight schedule such as a KL warm-up). */
export function isWeighted(objective: Pick<CompiledObjective, 'losses'>): boolean {
  return objective.losses.some((op) => (param(op, 'weight') ?? 1) !== 1 || ((param(op, 'warmupSteps') as number | undefined) ?? 0) > 0);
}

/**
 * The metric an objective's total is, by its loss nodes; undefined when it
 * is none. Only unweighted losses count: a weighted sum is another quantity
 * (heldOutMetrics then names the metric to be computed at weight 1).
 */
export function objectiveMetric(objective: Pick<CompiledObjective, 'losses'>): HeldOutMetric | undefined {
  return isWeighted(objective) ? undefined : metricOfLosses(objective.losses);
}

/**
 * A binary cross-entropy alone (from logits, summed per example) whose
 * logits are the scores a sampler draws its target from position by
 * position (a PixelCNN's image under a PixelSampler): the scores at each
 * pixel read only the pixels before it, so the sum is the exact negative
 * log-likelihood of the data, nats per example (`valNll`).
 */
function drawsItsTarget(losses: readonly LossOp[], samplers: readonly SamplerPlan[]): boolean {
  const [loss] = losses;
  if (losses.length !== 1 || loss!.kind !== 'ReconstructionLoss') return false;
  if (param(loss!, 'loss') !== 'bce' || param(loss!, 'fromLogits') !== true || param(loss!, 'reduction') !== 'sum') return false;
  return samplers.some((plan) => {
    const ends = samplerOf(plan).autoregressive?.(plan);
    return ends !== undefined && ends.scores === loss!.inputs.prediction && ends.replaces === loss!.inputs.target;
  });
}

/**
 * A next-token cross-entropy whose logits are the scores a sampler draws a
 * map of codes from, position by position, and whose targets are that map
 * (a PixelCNN prior over a VQ-VAE's codes): nats per code of the map
 * (`valNatsPerCode`), not per character.
 */
function priorOverCodes(losses: readonly LossOp[], samplers: readonly SamplerPlan[]): boolean {
  const [loss] = losses;
  if (losses.length !== 1 || loss!.kind !== 'NextTokenCrossEntropy') return false;
  return samplers.some((plan) => {
    const ends = samplerOf(plan).autoregressive?.(plan);
    return ends !== undefined && ends.scores === loss!.inputs.logits && ends.replaces === loss!.inputs.targets;
  });
}

/**
 * Each metric the graph has and the objective whose losses compute it, in
 * objective order; one that two objectives have is ambiguous and left out.
 * `atUnitWeight`: the objective weighs its losses (a β-VAE's β, a KL
 * warm-up), so its total is not the metric; the metric is its loss nodes'
 * sum at weight 1 (heldOutLosses with unitWeights).
 */
export function heldOutMetrics(program: Pick<Program, 'objectives'> & Partial<Pick<Program, 'samplers'>>): { metric: HeldOutMetric; objective: string; atUnitWeight?: true }[] {
  const found = program.objectives.flatMap((o) => {
    const base = metricOfLosses(o.losses);
    const metric = base === 'valNatsPerChar' && priorOverCodes(o.losses, program.samplers ?? []) ? 'valNatsPerCode' : (base ?? (drawsItsTarget(o.losses, program.samplers ?? []) ? 'valNll' : undefined));
    return metric ? [{ metric, objective: o.id, ...(isWeighted(o) ? { atUnitWeight: true as const } : {}) }] : [];
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

/** The quantizers on training paths (kinds that declare `codes`, such as VectorQuantizer): evaluation reports how their codes are used on held-out data. */
export function quantizers(program: Pick<Program, 'analysis'>): { op: CompiledObjective['ops'][number]; tokens: string; count: number }[] {
  return program.analysis.ops.flatMap((op) => {
    const codes = op.phase === 'train' ? op.def.codes?.(op.params) : undefined;
    const tokens = codes ? op.outputs[codes.port] : undefined;
    return codes && tokens !== undefined ? [{ op, tokens, count: codes.count }] : [];
  });
}

/**
 * Reconstruction losses whose target is an image a Data node reads and whose
 * prediction has its shape (an autoencoder's output): held-out images can be
 * shown beside what the model makes of them. `logits`: the prediction is
 * Bernoulli logits (a BCE from logits), shown through the sigmoid.
 */
export function reconstructedImages(program: Pick<Program, 'analysis' | 'objectives' | 'producers'>): { loss: string; prediction: string; target: string; logits: boolean }[] {
  return program.objectives.flatMap((o) =>
    o.losses.flatMap((op) => {
      if (op.kind !== 'ReconstructionLoss') return [];
      const target = op.inputs.target;
      const prediction = op.inputs.prediction;
      const shape = target === undefined ? undefined : program.analysis.values.get(target)?.shape;
      if (!target || !prediction || !shape || program.producers.get(target)?.kind !== 'Data') return [];
      const layout = sampleLayout(concrete(shape, 1));
      if (layout.kind !== 'image') return [];
      const p = op.params as { loss?: string; fromLogits?: boolean };
      return [{ loss: op.id, prediction, target, logits: p.loss === 'bce' && p.fromLogits === true }];
    }),
  );
}

/**
 * The logits feeding a ClassificationLoss, the ops that compute them, and
 * `features`: the value the logits' layer reads (the penultimate layer, in
 * which the judge's feature distances are measured) when that layer reads
 * one value.
 */
export function classifierHead(program: Pick<Program, 'analysis' | 'producers'>): { logits: string; features?: string; ops: FlatOp[]; data: FlatOp } | undefined {
  const loss = program.analysis.ops.find((op) => op.kind === 'ClassificationLoss');
  if (!loss) return undefined;
  const logits = loss.inputs.logits!;
  const ops = opsFor(program.analysis, program.producers, [logits]);
  const data = ops.find((op) => op.kind === 'Data');
  const layerInputs = Object.values(program.producers.get(logits)?.inputs ?? {});
  return data ? { logits, ...(layerInputs.length === 1 ? { features: layerInputs[0]! } : {}), ops, data } : undefined;
}

/**
 * A VAE whose likelihood an importance-weighted bound can estimate: an
 * objective whose losses are a negative ELBO (a summed BCE and a KL from
 * N(0, I)) with the latent `z` drawn by a Reparameterize node from the
 * KL's own `mu` and `logvar`, and the reconstruction's prediction computed
 * from that `z`. Undefined when the graph has none.
 */
export function latentVariableModel(
  program: Pick<Program, 'objectives' | 'analysis' | 'producers' | 'document'>,
): { objective: string; mu: string; logvar: string; z: string; prediction: string; target: string; fromLogits: boolean } | undefined {
  for (const objective of program.objectives) {
    if (metricOfLosses(objective.losses) !== 'negElbo') continue;
    const kl = objective.losses.find((op) => op.kind === 'KLDivergence')!;
    const reconstruction = objective.losses.find((op) => op.kind === 'ReconstructionLoss')!;
    const [mu, logvar, prediction, target] = [kl.inputs.mu, kl.inputs.logvar, reconstruction.inputs.prediction, reconstruction.inputs.target];
    if (!mu || !logvar || !prediction || !target) continue;
    const predictionOps = new Set(opsFor(program.analysis, program.producers, [prediction]));
    for (const node of program.document.nodes) {
      if (node.kind !== 'Reparameterize') continue;
      const ops = program.analysis.ops.filter((op) => op.origin.node === node.id && op.origin.module === undefined);
      const reads = new Set(ops.flatMap((op) => Object.values(op.inputs)));
      const z = program.analysis.nodes.get(node.id)?.outputKeys.z;
      const zProducer = z === undefined ? undefined : program.producers.get(z);
      if (z === undefined || !reads.has(mu) || !reads.has(logvar) || !zProducer || !predictionOps.has(zProducer)) continue;
      return { objective: objective.id, mu, logvar, z, prediction, target, fromLogits: param(reconstruction, 'fromLogits') === true };
    }
  }
  return undefined;
}
