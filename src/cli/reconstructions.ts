/**
 * What an autoencoder makes of held-out images: for each reconstruction
 * loss of an image that the graph reads (core/train/roles.ts), rows of
 * held-out images, each followed by a row of their reconstructions, in
 * `reconstructions.png` (more losses add `-LOSS`).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../core/base/names.ts';
import { createRandom } from '../core/base/random.ts';
import { runOps } from '../core/compiler/forward.ts';
import { opsFor } from '../core/compiler/program.ts';
import { readPublicAsset } from '../core/data/assets.node.ts';
import { openTestSource, type DataParamsInput } from '../core/data/index.ts';
import type { DataSource, HeldOutSource } from '../core/data/source.ts';
import { renderSamples } from '../core/render/samples.ts';
import { reconstructedImages } from '../core/train/roles.ts';
import { sampleValueRange } from '../core/train/sampling.ts';
import type { TrainingSession } from '../core/train/session.ts';
import { writePng } from './png.node.ts';

const COLUMNS = 8;
const ROWS = 4;

/** Writes the pictures, of the test split where the data has one (MNIST), else of the validation part; returns their file names (none when the graph reconstructs no image). */
export async function writeReconstructions(session: TrainingSession, sources: ReadonlyMap<string, DataSource>, out: string): Promise<string[]> {
  const heldOut = async (id: string): Promise<HeldOutSource | undefined> => {
    const op = session.program.feeds.find((f) => f.id === id);
    const test = op ? await openTestSource(op.params as DataParamsInput, { readAsset: readPublicAsset }) : undefined;
    if (test) return test;
    const source = sources.get(id);
    return source ? { dataset: source.dataset, size: source.size.validation, batch: (start, count) => source.validationBatch(start, count) } : undefined;
  };
  const { program } = session;
  const files: string[] = [];
  for (const [i, found] of reconstructedImages(program).entries()) {
    const data = program.producers.get(found.target)!;
    const source = await heldOut(data.id);
    if (!source) continue;
    const count = Math.min(COLUMNS * ROWS, source.size);
    const batch = source.batch(0, count);
    const ops = opsFor(program.analysis, program.producers, [found.prediction]);
    const pairs = tf.tidy(() => {
      const values = runOps(ops, program.analysis, { variables: session.variables, feeds: nameRecord([[data.id, batch]]), batchSize: count, training: false, random: createRandom(1) });
      const target = values.get(found.target)!;
      const made = found.logits ? tf.sigmoid(values.get(found.prediction)!) : values.get(found.prediction)!;
      // Each row of held-out images, then the row of their reconstructions.
      const rows: tf.Tensor[] = [];
      for (let start = 0; start < count; start += COLUMNS) {
        const n = Math.min(COLUMNS, count - start);
        rows.push(tf.slice(target, start, n), tf.slice(made, start, n));
      }
      return tf.concat(rows, 0);
    });
    const shape = pairs.shape;
    const values = (await pairs.data()) as Float32Array;
    tf.dispose([pairs, ...Object.values(batch)]);
    const file = i === 0 ? 'reconstructions.png' : `reconstructions-${found.loss.replaceAll('/', '-')}.png`;
    writePng(join(out, file), renderSamples({ values, shape, range: sampleValueRange(program), columns: COLUMNS }));
    files.push(file);
  }
  return files;
}
