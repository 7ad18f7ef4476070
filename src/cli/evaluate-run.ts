/**
 * The `eval` block of a run's summary: held-out numbers named for what the
 * graph is (negElbo, valNatsPerChar, valNll, testAccuracy, ...) and scores
 * of its samples. Generated digits are judged by the MNIST classifier preset,
 * trained by `gencomposer train graph-presets/mnist-classifier.json`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readPublicAsset } from '../core/data/assets.node.ts';
import { openTestSource, type DataParamsInput } from '../core/data/index.ts';
import type { DataSource, HeldOutSource } from '../core/data/source.ts';
import * as tf from '@tensorflow/tfjs-core';
import { classifierAccuracy, codeUsage, flowRoundTrip, heldOutLosses, importanceWeightedBound, scoreSamplers, type HeldOutFeed, type SamplerScore } from '../core/train/family-eval.ts';
import { createJudge, judgeReference, type Judge } from '../core/train/judge.ts';
import { streamBatches } from '../core/train/program-data.ts';
import { dequantizedDimensions, heldOutMetrics, invertibleSampler, judgedSamplers } from '../core/train/roles.ts';
import { sampleValueRange } from '../core/train/sampling.ts';
import { TrainingSession } from '../core/train/session.ts';
import { readCheckpointDir } from './checkpoint-files.ts';
import { loadProgram, openData } from './setup.ts';

export const JUDGE_GRAPH = fileURLToPath(new URL('../../graph-presets/mnist-classifier.json', import.meta.url));
export const DEFAULT_JUDGE = 'runs/mnist-classifier/checkpoint';

/** Real training digits the judge keeps for its floor and ladder: as many as the most samples a sampler is scored on. */
const JUDGE_REFERENCE_DIGITS = 1000;

export async function loadJudge(dir: string): Promise<Judge> {
  const program = await loadProgram(JUDGE_GRAPH);
  const sources = await openData(JUDGE_GRAPH, program);
  const session = new TrainingSession(program, streamBatches(sources));
  await readCheckpointDir(dir, session, 'weights');
  const data = program.feeds[0]!;
  const test = await openTestSource(data.params as DataParamsInput, { readAsset: readPublicAsset });
  const batch = sources.get(data.id)!.trainBatch(0, JUDGE_REFERENCE_DIGITS);
  tf.dispose(Object.entries(batch).filter(([port]) => port !== 'x').map(([, t]) => t));
  return createJudge(session, test!, batch.x as tf.Tensor4D);
}

/**
 * Each judged score gets its floor (as many real training digits as it has
 * samples, scored the same way: FID is biased upwards for small sets, so
 * the floor is the number to read it against); the judge's own block holds
 * the ladder at the largest count.
 */
async function addJudgeReference(judge: Judge, scores: SamplerScore[]): Promise<Record<string, unknown>> {
  const counts = [...new Set(scores.filter((s) => typeof s.fid === 'number').map((s) => s.count))].sort((a, b) => b - a);
  const block: Record<string, unknown> = { testAccuracy: judge.testAccuracy, features: judge.test.dim, testImages: judge.test.count };
  for (const count of counts) {
    const points = await judgeReference(judge, count, count === counts[0] ? undefined : []);
    const [floor] = points;
    for (const score of scores) if (score.count === count && typeof score.fid === 'number') score.floor = { fid: floor!.fid, precision: floor!.precision, recall: floor!.recall };
    if (count === counts[0]) block.reference = points;
  }
  return block;
}

/** Latents per example of the importance-weighted bound: Burda et al.'s k = 5,000 is tighter, 100 is the common report. */
const IWAE_SAMPLES = 100;

export interface EvalRunOptions {
  judgeDir?: string;
  samples?: number;
}

export async function evaluateRun(session: TrainingSession, sources: ReadonlyMap<string, DataSource>, options: EvalRunOptions = {}): Promise<Record<string, unknown>> {
  const feeds = session.program.feeds;
  // The fixed test split where the data has one (MNIST), else the validation part.
  const tests = new Map<string, HeldOutSource>();
  for (const op of feeds) {
    const test = await openTestSource(op.params as DataParamsInput, { readAsset: readPublicAsset });
    if (test) tests.set(op.id, test);
  }
  const onTest = feeds.length > 0 && tests.size === feeds.length;
  const feed: HeldOutFeed = (op, start, count) => (onTest ? tests.get(op.id)!.batch(start, count) : sources.get(op.id)!.validationBatch(start, count));
  const size = Math.min(2000, ...feeds.map((op) => (onTest ? tests.get(op.id)!.size : sources.get(op.id)!.size.validation)));
  const split = onTest ? 'test' : 'validation';
  const heldOut = await heldOutLosses(session, feed, size);
  const out: Record<string, unknown> = { split, examples: size, heldOut };
  // Named by what each objective's losses compute (core/train/roles.ts); a weighted objective's metric is its losses at weight 1.
  const metrics = heldOutMetrics(session.program);
  const unit = new Set(metrics.filter((m) => m.atUnitWeight).map((m) => m.objective));
  const unweighted = unit.size > 0 ? await heldOutLosses(session, feed, size, unit) : {};
  if (unit.size > 0) out.heldOutUnweighted = unweighted;
  for (const { metric, objective, atUnitWeight } of metrics) {
    const total = (atUnitWeight ? unweighted : heldOut)[objective]?.total;
    if (total === undefined) continue;
    out[metric] = total;
    const dimensions = metric === 'valNll' ? dequantizedDimensions(session.program, objective) : undefined;
    if (dimensions) out.valBitsPerDim = total / (dimensions * Math.LN2);
  }
  const iwae = await importanceWeightedBound(session, feed, size, IWAE_SAMPLES);
  if (iwae !== undefined) Object.assign(out, { negIwae: iwae, iwaeSamples: IWAE_SAMPLES });
  if (invertibleSampler(session.program)) out.inverseError = await flowRoundTrip(session, feed, size);
  const codes = await codeUsage(session, feed, size);
  if (codes) out.codes = codes;
  const accuracy = await classifierAccuracy(session, feed, size);
  if (accuracy !== undefined) out[`${split}Accuracy`] = accuracy;

  if (session.program.samplers.length > 0) {
    const judgeDir = options.judgeDir ?? DEFAULT_JUDGE;
    const wantsJudge = judgedSamplers(session.program).length > 0;
    let judge: Judge | undefined;
    if (wantsJudge) {
      if (existsSync(judgeDir)) judge = await loadJudge(judgeDir);
      else out.judge = `no judge at ${judgeDir}: run "npx gencomposer train graph-presets/mnist-classifier.json" first to score generated digits`;
    }
    try {
      const scores = await scoreSamplers(session, sources.get(feeds[0]?.id ?? ''), {
        range: sampleValueRange(session.program),
        feedsFor: (op, count) => sources.get(op.id)!.validationBatch(0, count),
        ...(options.samples === undefined ? {} : { samples: options.samples }),
        ...(judge ? { judge } : {}),
      });
      if (judge) out.judge = await addJudgeReference(judge, scores);
      out.samplers = scores;
    } finally {
      judge?.dispose();
    }
  }
  return out;
}
