/**
 * Held-out numbers: each objective's losses averaged over the validation
 * part of its data, with no update and fixed randomness.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runOps } from '../compiler/forward.ts';
import type { DataSource } from '../data/source.ts';
import { createRandom } from './random.ts';
import type { TrainingSession } from './session.ts';

export interface ValidationLosses {
  [objective: string]: { total: number; examples: number; losses: Record<string, number> };
}

/** Averages over at most `limit` validation examples, in batches of the session's batch size. */
export async function validationLosses(session: TrainingSession, sources: ReadonlyMap<string, DataSource>, limit = 2000): Promise<ValidationLosses> {
  const out: ValidationLosses = {};
  for (const objective of session.program.objectives) {
    const feedOps = objective.ops.filter((op) => op.kind === 'Data');
    const available = Math.min(limit, ...feedOps.map((op) => sources.get(op.id)?.size.validation ?? 0));
    if (feedOps.length === 0 || !(available > 0)) continue;
    const sums = new Array<number>(objective.losses.length).fill(0);
    let examples = 0;
    for (let start = 0; start < available; start += session.batchSize) {
      const count = Math.min(session.batchSize, available - start);
      const feeds = Object.fromEntries(feedOps.map((op) => [op.id, sources.get(op.id)!.validationBatch(start, count)]));
      const lossValues = tf.tidy(() => {
        const values = runOps(objective.ops, session.program.analysis, { variables: session.variables, feeds, batchSize: count, training: false, random: createRandom(start + 1) });
        return tf.stack(objective.losses.map((op) => values.get(op.outputs.loss!)!));
      });
      const read = await lossValues.data();
      lossValues.dispose();
      for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
      read.forEach((v, i) => (sums[i]! += v * count));
      examples += count;
    }
    const losses: Record<string, number> = {};
    objective.losses.forEach((op, i) => (losses[op.origin.node] = (losses[op.origin.node] ?? 0) + sums[i]! / examples));
    out[objective.id] = { total: Object.values(losses).reduce((a, b) => a + b, 0), examples, losses };
  }
  return out;
}
