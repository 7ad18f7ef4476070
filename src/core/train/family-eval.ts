/**
 * Held-out numbers by what a graph is: losses on the test split (or the
 * validation part), a classifier's test accuracy, generated digits scored by
 * a trained classifier (the judge), 2D samples against the modes of the
 * data, a flow's round trip, and text samples against the training texts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../base/names.ts';
import { runOps } from '../compiler/forward.ts';
import { opsFor, type CompiledObjective, type SamplerPlan } from '../compiler/program.ts';
import { EIGHT_GAUSSIANS_CENTRES, EIGHT_GAUSSIANS_STD } from '../data/toy2d.ts';
import type { Batch, DataSource } from '../data/source.ts';
import { reconstructionError } from '../nodes/reconstruction-loss.ts';
import { samplerOf } from '../nodes/sampler-types.ts';
import type { FlatOp } from '../shapes/analyze.ts';
import { createRandom } from '../base/random.ts';
import { compareWithTest, topClass, type Judge } from './judge.ts';
import { classifierHead, invertibleSampler, judgedSamplers, latentVariableModel, quantizers } from './roles.ts';
import { invertFlow, runSampler } from './sampling.ts';
import type { TrainingSession } from './session.ts';

/** Reads held-out examples [start, start + count) for a feed op. */
export type HeldOutFeed = (op: FlatOp, start: number, count: number) => Batch;

/** Examples per held-out pass and samples scored per sampler. */
export interface EvalOptions {
  heldOutLimit?: number;
  samples?: number;
  /** Samples for samplers that run their model more than 200 times per draw: DDPM over a long schedule (once per step), a pixel-by-pixel loop (once per pixel). */
  ddpmSamples?: number;
  judge?: Judge;
  /** Held-out data for samplers that read more than their substituted input (an encoder-decoder's source). */
  feedsFor?: (op: FlatOp, count: number) => Batch;
}

/**
 * Each objective's losses averaged over held-out examples, without updates
 * and with fixed randomness, weighted as training weighs them at its current
 * update (a KL warm-up included). With `unitWeights`, the loss nodes of the
 * objectives named run at weight 1 with no schedule: the unweighted sum a
 * weighted objective stands for (a β-VAE's true negative ELBO); only those
 * objectives are reported then.
 */
export async function heldOutLosses(
  session: TrainingSession,
  feed: HeldOutFeed,
  size: number,
  unitWeights?: ReadonlySet<string>,
): Promise<Record<string, { total: number; examples: number; losses: Record<string, number> }>> {
  const out = nameRecord<{ total: number; examples: number; losses: Record<string, number> }>();
  for (const trained of session.program.objectives) {
    if (unitWeights && !unitWeights.has(trained.id)) continue;
    const objective = unitWeights ? atUnitWeight(trained) : trained;
    const step = unitWeights ? undefined : session.optimizers.get(trained.id)?.steps;
    const feedOps = objective.ops.filter((op) => session.program.feeds.includes(op));
    if (feedOps.length === 0 || size <= 0) continue;
    const sums = new Array<number>(objective.losses.length).fill(0);
    let examples = 0;
    for (let start = 0; start < size; start += session.batchSize) {
      const count = Math.min(session.batchSize, size - start);
      const feeds = nameRecord(feedOps.map((op) => [op.id, feed(op, start, count)]));
      const lossValues = tf.tidy(() => {
        const values = runOps(objective.ops, session.program.analysis, { variables: session.variables, feeds, batchSize: count, training: false, random: createRandom(start + 1), constants: session.constants, ...(step !== undefined ? { step } : {}) });
        return tf.stack(objective.losses.map((op) => values.get(op.outputs.loss!)!));
      });
      const read = await lossValues.data();
      lossValues.dispose();
      for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
      read.forEach((v, i) => (sums[i]! += v * count));
      examples += count;
    }
    const losses = nameRecord<number>();
    objective.losses.forEach((op, i) => (losses[op.origin.node] = (losses[op.origin.node] ?? 0) + sums[i]! / examples));
    out[objective.id] = { total: Object.values(losses).reduce((a, b) => a + b, 0), examples, losses };
  }
  return out;
}

/** The objective with its loss ops at weight 1 (no step is given, so weight schedules are off too). */
function atUnitWeight(objective: CompiledObjective): CompiledObjective {
  const unit = new Map(objective.losses.map((op) => [op, { ...op, params: { ...(op.params as Record<string, unknown>), weight: 1 } }]));
  return { ...objective, losses: objective.losses.map((op) => unit.get(op)!), ops: objective.ops.map((op) => unit.get(op) ?? op) };
}

/**
 * Each objective's total loss on the first `limit` examples of the
 * validation part, for watching a run as it trains (over- or under-fitting);
 * undefined when a Data node has no validation examples.
 */
export async function validationLosses(session: TrainingSession, sources: ReadonlyMap<string, DataSource>, limit = 512): Promise<Record<string, number> | undefined> {
  const feeds = session.program.feeds;
  const size = Math.min(limit, ...feeds.map((op) => sources.get(op.id)?.size.validation ?? 0));
  if (feeds.length === 0 || size <= 0) return undefined;
  const losses = await heldOutLosses(session, (op, start, count) => sources.get(op.id)!.validationBatch(start, count), size);
  return nameRecord(Object.entries(losses).map(([id, l]) => [id, l.total]));
}

/**
 * The importance-weighted bound (Burda et al. 2016) of a VAE on held-out
 * examples, as a negative log-likelihood in nats per example:
 * −log (1/K) Σₖ p(x | zₖ) p(zₖ) / q(zₖ | x) with K latents zₖ drawn by the
 * graph's own Reparameterize from q(z | x) = N(mu, exp(logvar)), and the
 * prior N(0, I) that its KL term assumes. K = 1 is the one-sample ELBO;
 * as K grows the bound tightens towards −log p(x). Undefined for a graph
 * with no such model (roles.latentVariableModel).
 */
export async function importanceWeightedBound(session: TrainingSession, feed: HeldOutFeed, size: number, samples = 100, rowsAtOnce = 1000): Promise<number | undefined> {
  const model = latentVariableModel(session.program);
  if (!model || size <= 0) return undefined;
  const { analysis, producers, feeds: programFeeds } = session.program;
  const ops = opsFor(analysis, producers, [model.prediction, model.target, model.mu, model.logvar, model.z]);
  const feedOps = ops.filter((op) => programFeeds.includes(op));
  const perPass = Math.max(1, Math.floor(rowsAtOnce / samples));
  const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
  let total = 0;
  for (let start = 0; start < size; start += perPass) {
    const count = Math.min(perPass, size - start);
    // Each example `samples` times in a row: one latent drawn per row.
    const repeat = tf.tensor1d(Array.from({ length: count * samples }, (_, i) => Math.floor(i / samples)), 'int32');
    const feeds = nameRecord(
      feedOps.map((op) => {
        const batch = feed(op, start, count);
        const tiled = nameRecord(Object.entries(batch).map(([port, t]) => [port, tf.gather(t, repeat)]));
        tf.dispose(Object.values(batch));
        return [op.id, tiled];
      }),
    );
    const perExample = tf.tidy(() => {
      const values = runOps(ops, analysis, { variables: session.variables, feeds, batchSize: count * samples, training: false, random: createRandom(start + 1), constants: session.constants });
      const flat = (key: string) => tf.reshape(values.get(key)!, [count * samples, -1]);
      const [prediction, target, mu, logvar, z] = [flat(model.prediction), flat(model.target), flat(model.mu), flat(model.logvar), flat(model.z)];
      // log p(x | z): minus the summed BCE, as the reconstruction loss node computes it.
      const logLikelihood = tf.neg(tf.sum(reconstructionError(prediction, target, { loss: 'bce', fromLogits: model.fromLogits }), 1));
      const dims = z.shape[1]!;
      const logPrior = tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), dims * halfLog2Pi);
      const logPosterior = tf.sub(tf.mul(-0.5, tf.sum(tf.add(tf.mul(tf.square(tf.sub(z, mu)), tf.exp(tf.neg(logvar))), logvar), 1)), dims * halfLog2Pi);
      const logWeights = tf.reshape(tf.sub(tf.add(logLikelihood, logPrior), logPosterior), [count, samples]);
      return tf.sub(tf.logSumExp(logWeights, 1), Math.log(samples));
    });
    total -= (await perExample.sum().data())[0]!;
    tf.dispose([perExample, repeat, ...Object.values(feeds).flatMap((b) => Object.values(b))]);
  }
  return total / size;
}

/** Share of correct predictions of a classifier graph over held-out examples. */
export async function classifierAccuracy(session: TrainingSession, feed: HeldOutFeed, size: number): Promise<number | undefined> {
  const head = classifierHead(session.program);
  if (!head) return undefined;
  let correct = 0;
  for (let start = 0; start < size; start += 250) {
    const count = Math.min(250, size - start);
    const batch = feed(head.data, start, count);
    const predictions = tf.tidy(() => {
      const values = runOps(head.ops, session.program.analysis, { variables: session.variables, feeds: nameRecord([[head.data.id, batch]]), batchSize: count, training: false, random: createRandom(0) });
      return tf.argMax(values.get(head.logits)!, -1);
    });
    const [predicted, labels] = await Promise.all([predictions.data(), batch.y!.data()]);
    for (let i = 0; i < count; i++) if (predicted[i] === labels[i]) correct += 1;
    tf.dispose([predictions, ...Object.values(batch)]);
  }
  return correct / size;
}

/** classCoverage: classes holding at least 5% of the samples; meanConfidence: mean top probability. */
export function scoreDigits(probs: Float32Array, classes = 10): { classCoverage: number; meanConfidence: number; classShares: number[] } {
  const n = probs.length / classes;
  const counts = new Array<number>(classes).fill(0);
  let confidence = 0;
  for (let i = 0; i < n; i++) {
    const best = topClass(probs, i, classes);
    counts[best]! += 1;
    confidence += probs[i * classes + best]!;
  }
  const shares = counts.map((c) => c / n);
  return { classCoverage: shares.filter((s) => s >= 0.05).length, meanConfidence: confidence / n, classShares: shares.map((s) => +s.toFixed(3)) };
}

/** Share of samples whose most probable class is the label they were asked for. */
export function classAccuracy(probs: Float32Array, labels: readonly number[], classes = 10): number {
  let correct = 0;
  labels.forEach((label, i) => {
    if (topClass(probs, i, classes) === label) correct += 1;
  });
  return correct / labels.length;
}

/** Modes of eight-gaussians with a sample within 3 std, and the share of samples that close to any mode. */
export function scoreModes(points: ArrayLike<number>, centres: readonly (readonly [number, number])[] = EIGHT_GAUSSIANS_CENTRES, std = EIGHT_GAUSSIANS_STD) {
  const n = points.length / 2;
  const hit = new Array<boolean>(centres.length).fill(false);
  let near = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!;
    const y = points[2 * i + 1]!;
    let best = Infinity;
    let mode = -1;
    centres.forEach(([cx, cy], m) => {
      const d = Math.hypot(x - cx, y - cy);
      if (d < best) [best, mode] = [d, m];
    });
    if (best <= 3 * std) {
      near += 1;
      hit[mode] = true;
    }
  }
  return { modesCovered: hit.filter(Boolean).length, modes: centres.length, withinThreeStd: near / n };
}

/** Images in the judge's layout and range, from samples of [n, 784] or [n, 28, 28, 1] in `range`. */
function asJudgeImages(samples: tf.Tensor, range: [number, number]): tf.Tensor | undefined {
  const size = samples.shape.slice(1).reduce((a, b) => a * b, 1);
  if (size !== 784) return undefined;
  return tf.tidy(() => {
    const unit = range[0] === -1 ? tf.div(tf.add(samples, 1), 2) : samples;
    return tf.clipByValue(tf.reshape(unit, [-1, 28, 28, 1]), 0, 1);
  });
}

export interface SamplerScore {
  sampler: string;
  family: string;
  count: number;
  [metric: string]: unknown;
}

/** A sampler that runs its model many times per draw (DDPM once per schedule step, a pixel sampler once per pixel) is scored on fewer samples. */
function sampleCount(session: TrainingSession, plan: SamplerPlan, options: EvalOptions): number {
  const samples = options.samples ?? 1000;
  const values = { valueOf: (key: string) => session.program.analysis.values.get(key) };
  const chain = samplerOf(plan).chain?.(plan, values);
  const passes = chain?.everyStep ? chain.steps : samplerOf(plan).passes?.(plan, values);
  return passes !== undefined && passes > 200 ? Math.min(samples, options.ddpmSamples ?? 100) : samples;
}

/** Scores every sampler's output by what it produces. */
export async function scoreSamplers(session: TrainingSession, source: DataSource | undefined, options: EvalOptions & { range: [number, number] }): Promise<SamplerScore[]> {
  const scores: SamplerScore[] = [];
  const judged = new Set(judgedSamplers(session.program));
  for (const plan of session.program.samplers) {
    const count = sampleCount(session, plan, options);
    const result = await runSampler(session, plan, { count, seed: 1234, ...(options.feedsFor ? { feedsFor: options.feedsFor } : {}) });
    const score: SamplerScore = { sampler: result.sampler, family: result.family, count };
    if (result.kind === 'tokens') {
      const texts = source?.decode ? result.tokens.map((t) => source.decode!([1, ...t])) : [];
      const known = source?.trainingTexts;
      if (known && texts.length > 0) {
        score.copiesOfTraining = texts.filter((t) => known.has(t)).length / texts.length;
        score.distinct = new Set(texts).size / texts.length;
        score.examples = texts.slice(0, 10);
      }
      const replaced = samplerOf(plan).tokens?.(plan);
      const exact = replaced !== undefined && options.feedsFor ? await exactMatch(session, replaced, result.tokens, options.feedsFor) : undefined;
      if (exact !== undefined) score.exactMatch = exact;
    } else {
      const samples = result.tensor;
      if (samples.shape.length === 2 && samples.shape[1] === 2 && source?.dataset === 'eight-gaussians') {
        Object.assign(score, scoreModes(await samples.data()));
      }
      const images = options.judge && judged.has(plan) ? asJudgeImages(samples, options.range) : undefined;
      if (images && options.judge) {
        const { probs, features } = await options.judge.look(images);
        images.dispose();
        // The set against the test split in the judge's features, then each image on its own.
        Object.assign(score, compareWithTest(options.judge, features), scoreDigits(probs));
        // Conditioned samples: is the digit asked for the one the judge sees?
        if (result.labels) score.classAccuracy = classAccuracy(probs, result.labels);
        score.judgeTestAccuracy = options.judge.testAccuracy;
      }
      samples.dispose();
    }
    scores.push(score);
  }
  return scores;
}

/**
 * For a model that generates in place of a teacher-forced input (`yIn`, the
 * target shifted right), the share of generated sequences equal to the
 * target `y` of the same held-out examples.
 */
async function exactMatch(
  session: TrainingSession,
  /** The token input the generated tokens replace. */
  replaced: string,
  tokens: number[][],
  feedsFor: (op: FlatOp, count: number) => Batch,
): Promise<number | undefined> {
  const producer = session.program.producers.get(replaced);
  const port = producer && Object.entries(producer.outputs).find(([, key]) => key === replaced)?.[0];
  if (!producer || port !== 'yIn' || !producer.outputs.y) return undefined;
  const batch = feedsFor(producer, tokens.length);
  const targets = await batch.y!.data();
  const width = batch.y!.shape[1]!;
  tf.dispose(Object.values(batch));
  let equal = 0;
  tokens.forEach((row, b) => {
    if (row.every((t, i) => t === targets[b * width + i])) equal += 1;
  });
  return equal / tokens.length;
}

/** The largest |f⁻¹(f(x)) − x| over held-out examples, for each flow sampler. */
export async function flowRoundTrip(session: TrainingSession, feed: HeldOutFeed, size: number): Promise<number | undefined> {
  const plan = invertibleSampler(session.program);
  if (!plan) return undefined;
  const ends = samplerOf(plan).inverse!.ends(plan);
  const forward = opsFor(session.program.analysis, session.program.producers, [ends.latent]);
  const data = forward.find((op) => op.kind === 'Data');
  if (!data) return undefined;
  let worst = 0;
  for (let start = 0; start < size; start += 500) {
    const count = Math.min(500, size - start);
    const batch = feed(data, start, count);
    const values = runOps(forward, session.program.analysis, { variables: session.variables, feeds: nameRecord([[data.id, batch]]), batchSize: count, training: false, random: createRandom(0) });
    const back = invertFlow(session, plan, values.get(ends.latent)!);
    const error = tf.max(tf.abs(tf.sub(back, values.get(ends.data)!)));
    worst = Math.max(worst, (await error.data())[0]!);
    tf.dispose([back, error, ...values.values(), ...Object.values(batch)]);
  }
  return worst;
}

/**
 * How each quantizer's codes are used over held-out examples: of its
 * `codes`, how many are `used` at least once, and the `perplexity`, exp of
 * the entropy of the codes' frequencies over the whole split (how many codes
 * it uses, as if it used them equally); undefined when the graph has none.
 */
export async function codeUsage(session: TrainingSession, feed: HeldOutFeed, size: number): Promise<Record<string, { codes: number; used: number; perplexity: number }> | undefined> {
  const found = quantizers(session.program);
  if (found.length === 0) return undefined;
  const out = nameRecord<{ codes: number; used: number; perplexity: number }>();
  for (const { op, tokens, count } of found) {
    const ops = opsFor(session.program.analysis, session.program.producers, [tokens]);
    const feedOps = ops.filter((o) => o.kind === 'Data');
    if (feedOps.length === 0) continue;
    const counts = new Float64Array(count);
    for (let start = 0; start < size; start += session.batchSize) {
      const n = Math.min(session.batchSize, size - start);
      const feeds = nameRecord(feedOps.map((o) => [o.id, feed(o, start, n)]));
      const ids = tf.tidy(() => runOps(ops, session.program.analysis, { variables: session.variables, feeds, batchSize: n, training: false, random: createRandom(start + 1) }).get(tokens)!.clone());
      for (const id of await ids.data()) counts[id]! += 1;
      ids.dispose();
      for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
    }
    const total = counts.reduce((a, b) => a + b, 0);
    let entropy = 0;
    for (const c of counts) if (c > 0) entropy -= (c / total) * Math.log(c / total);
    out[op.id] = { codes: count, used: counts.filter((c) => c > 0).length, perplexity: Math.exp(entropy) };
  }
  return out;
}
