/** A linear regression graph and its batches: small enough to train in milliseconds. */
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../../src/core/compiler/program.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { Rng } from '../../src/core/base/random.ts';
import type { BatchProvider } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';

/** y = 3a - 2b + 1 from a fixed pool of 256 points. */
const pool = (() => {
  const rng = new Rng(5);
  const x = Array.from({ length: 256 }, () => [rng.normal(), rng.normal()] as const);
  return { x: x.flat(), y: x.map(([a, b]) => 3 * a - 2 * b + 1) };
})();
export const regressionBatches: BatchProvider = (op, step, batchSize) => {
  const start = (step * batchSize) % 256;
  const idx = Array.from({ length: batchSize }, (_, i) => (start + i) % 256);
  if (op.id === 'x') return { x: tf.tensor2d(idx.flatMap((i) => [pool.x[2 * i]!, pool.x[2 * i + 1]!]), [batchSize, 2]) };
  return { x: tf.tensor2d(idx.map((i) => pool.y[i]!), [batchSize, 1]) };
};

export function regression(optimizer: Record<string, unknown> = { type: 'adam', learningRate: 0.05 }) {
  const doc = makeDocument(
    [
      { id: 'x', kind: 'Input', params: { shape: [2] } },
      { id: 'y', kind: 'Input', params: { shape: [1] } },
      { id: 'fit', kind: 'Dense', params: { units: 1 } },
      { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse', reduction: 'mean' } },
    ],
    ['x.x->fit.x', 'fit.y->loss.prediction', 'y.x->loss.target'],
  );
  const withTraining = zGraphDocument.parse({ ...doc, training: { batchSize: 32, seed: 1, objectives: [{ id: 'main', optimizer }] } });
  const compiled = compile(withTraining);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

