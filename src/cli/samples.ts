/**
 * Runs every sampler of a trained session and writes its pictures (and
 * text). A sampler that fails is recorded with its node and the reason, and
 * the others still run: nothing after training may lose the run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { DataSource } from '../core/data/source.ts';
import { CHAR_VOCAB } from '../core/data/datasets.ts';
import { columnsForLabelRuns, decodeTokens, renderSamples } from '../core/render/samples.ts';
import type { ConditionChoice } from '../core/nodes/sampler-condition.ts';
import { runSampler, sampleValueRange } from '../core/train/sampling.ts';
import type { TrainingSession } from '../core/train/session.ts';
import type { SamplerPlan } from '../core/compiler/program.ts';
import { samplerName } from '../core/nodes/sampler-types.ts';
import { writePng } from './png.node.ts';

export interface WrittenSamples {
  sampler: string;
  family: string;
  file: string;
  text?: string;
  count: number;
  /** Conditioned samplers: the class each sample was asked for, in order. */
  labels?: number[];
}

/** A sampler node that could not sample, and why. */
export interface FailedSampler {
  sampler: string;
  error: string;
}

export type SamplesRecord = WrittenSamples | FailedSampler;

export const isFailed = (record: SamplesRecord): record is FailedSampler => 'error' in record;

export interface WriteSamplesOptions {
  count?: number;
  /** File name without extension for the first sampler (others add -NODE). */
  stem?: string;
  /** Only the sampler node with this id. */
  sampler?: string;
  seed?: number;
  /** The labels of conditioned samplers (--condition); by default each sampler's params choose. */
  condition?: ConditionChoice;
}

export async function writeSamples(session: TrainingSession, sources: ReadonlyMap<string, DataSource>, out: string, options: WriteSamplesOptions = {}): Promise<SamplesRecord[]> {
  const records: SamplesRecord[] = [];
  const source = [...sources.values()][0];
  const plans = session.program.samplers.filter((plan) => options.sampler === undefined || samplerName(plan) === options.sampler);
  for (const [i, plan] of plans.entries()) {
    const base = options.stem ?? 'samples';
    const stem = i === 0 ? base : `${base}-${samplerName(plan).replaceAll('/', '-')}`;
    try {
      records.push(await writeOne(session, plan, source, sources, out, stem, options));
    } catch (error) {
      records.push({ sampler: samplerName(plan), error: error instanceof Error ? error.message : String(error) });
    }
  }
  return records;
}

async function writeOne(
  session: TrainingSession,
  plan: SamplerPlan,
  source: DataSource | undefined,
  sources: ReadonlyMap<string, DataSource>,
  out: string,
  stem: string,
  options: WriteSamplesOptions,
): Promise<WrittenSamples> {
  const result = await runSampler(session, plan, {
    ...(options.count === undefined ? {} : { count: options.count }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.condition && plan.condition ? { condition: options.condition } : {}),
    // Samplers that read more than they generate (an encoder-decoder's source) get held-out examples.
    feedsFor: (op, count) => sources.get(op.id)!.validationBatch(0, count),
  });
  const record: WrittenSamples = { sampler: result.sampler, family: result.family, file: `${stem}.png`, count: 0 };
  if (result.kind === 'tokens') {
    const texts = source?.decode ? result.tokens.map((t) => source.decode!([1, ...t])) : decodeTokens(result.tokens, CHAR_VOCAB);
    writeFileSync(join(out, `${stem}.txt`), `${texts.join('\n')}\n`);
    writePng(join(out, `${stem}.png`), renderSamples({ texts }));
    record.text = `${stem}.txt`;
    record.count = texts.length;
  } else {
    const values = (await result.tensor.data()) as Float32Array;
    const shape = result.tensor.shape;
    result.tensor.dispose();
    let reference: Float32Array | undefined;
    if (shape.length === 2 && shape[1] === 2 && source) {
      const batch = source.validationBatch(0, Math.min(1000, source.size.validation));
      reference = (await batch.x!.data()) as Float32Array;
      tf.dispose(Object.values(batch));
    }
    // Each class on its own row when the labels come in equal runs.
    const columns = result.labels ? columnsForLabelRuns(result.labels) : undefined;
    writePng(join(out, `${stem}.png`), renderSamples({ family: result.family, values, shape, range: sampleValueRange(session.program), ...(reference ? { reference } : {}), ...(columns ? { columns } : {}) }));
    if (result.labels) record.labels = result.labels;
    record.count = shape[0]!;
  }
  return record;
}
