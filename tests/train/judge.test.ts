/**
 * The judge's set metrics on known cases, in the features of a classifier
 * trained here (a small MLP on MNIST, quick on the CPU backend; the
 * mnist-classifier preset is the CNN that runs use): a set against itself
 * scores 0, and real digits score better than the same digits blurred,
 * blurred more, their pixels shuffled, or noise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { openTestSource, type DataParamsInput } from '../../src/core/data/index.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { compareWithTest, createJudge, degrade, judgeReference, unitRows, type Judge } from '../../src/core/train/judge.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { makeDocument } from '../helpers.ts';

let judge: Judge;

beforeAll(async () => {
  const doc = makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'mnist', layout: 'image', range: 'unit' } },
      { id: 'flatten', kind: 'Flatten', params: {} },
      { id: 'hidden', kind: 'Dense', params: { units: 64, activation: 'relu' } },
      { id: 'logits', kind: 'Dense', params: { units: 10 } },
      { id: 'loss', kind: 'ClassificationLoss', params: {} },
    ],
    ['data.x->flatten.x', 'flatten.y->hidden.x', 'hidden.y->logits.x', 'logits.y->loss.logits', 'data.y->loss.labels'],
  );
  const compiled = compile(zGraphDocument.parse({ ...doc, training: { batchSize: 64, seed: 0, objectives: [{ id: 'main', optimizer: { type: 'adam', learningRate: 0.002 } }] } }));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const program = compiled.program;
  const sources = await openProgramData(program, readPublicAsset);
  const session = new TrainingSession(program, streamBatches(sources));
  for (let i = 0; i < 300; i++) session.trainStep();
  const data = program.feeds[0]!;
  const test = await openTestSource(data.params as DataParamsInput, { readAsset: readPublicAsset });
  const batch = sources.get(data.id)!.trainBatch(0, 500);
  batch.y!.dispose();
  judge = await createJudge(session, test!, batch.x as tf.Tensor4D);
}, 120_000);

afterAll(() => judge?.dispose());

describe('the judge', () => {
  it('reads its test split: accuracy, and one 64-feature row per test image', () => {
    expect(judge.testAccuracy).toBeGreaterThan(0.85);
    expect(judge.test.count).toBe(1000);
    expect(judge.test.dim).toBe(64);
  });

  it('the test split against itself: FID 0, precision and recall 1', () => {
    const score = compareWithTest(judge, judge.test);
    expect(Math.abs(score.fid)).toBeLessThan(1e-6);
    expect(score.precision).toBe(1);
    expect(score.recall).toBe(1);
  });

  // A blur of σ = 0.5 is within the floor's sampling noise at 500 images (1.20 against 1.25 here), so the ladder starts at 1.
  it('real digits score better than the same digits spoiled, and FID grows with the blur', async () => {
    const points = await judgeReference(judge, 500, [{ kind: 'blur', sigma: 1 }, { kind: 'blur', sigma: 2 }, { kind: 'blur', sigma: 3 }, { kind: 'shuffled pixels' }, { kind: 'uniform noise' }]);
    const fid = Object.fromEntries(points.map((p) => [p.set, p.fid]));
    expect(points.map((p) => p.set)).toEqual(['real training digits', 'blur σ=1', 'blur σ=2', 'blur σ=3', 'shuffled pixels', 'uniform noise']);
    expect(points.every((p) => p.count === 500)).toBe(true);
    const ladder = [fid['real training digits']!, fid['blur σ=1']!, fid['blur σ=2']!, fid['blur σ=3']!];
    for (let i = 1; i < ladder.length; i++) expect(ladder[i], ladder.join(' < ')).toBeGreaterThan(ladder[i - 1]!);
    expect(fid['shuffled pixels']).toBeGreaterThan(fid['blur σ=1']!);
    expect(fid['uniform noise']).toBeGreaterThan(10 * fid['real training digits']!);
    const [real] = points;
    const noise = points.at(-1)!;
    expect(real!.precision).toBeGreaterThan(0.6);
    expect(real!.recall).toBeGreaterThan(0.6);
    expect(noise.precision).toBeLessThan(0.05);
  });
});

describe('degradations', () => {
  const image = tf.tidy(() => tf.pad(tf.ones([1, 4, 4, 1]), [[0, 0], [12, 12], [12, 12], [0, 0]]) as tf.Tensor4D);
  afterAll(() => image.dispose());

  it('a blur keeps the ink (away from the border) and spreads it', async () => {
    const blurred = degrade(image, { kind: 'blur', sigma: 1 });
    expect((await blurred.sum().data())[0]).toBeCloseTo(16, 3);
    expect((await blurred.max().data())[0]).toBeLessThan(1);
    blurred.dispose();
  });

  it('shuffling moves pixels within an image, keeping its grey levels', async () => {
    const two = tf.concat([image, tf.mul(image, 0.5)]) as tf.Tensor4D;
    const shuffled = degrade(two, { kind: 'shuffled pixels' });
    const [a, b] = [await shuffled.slice([0], [1]).data(), await shuffled.slice([1], [1]).data()];
    expect([...a].filter((v) => v === 1)).toHaveLength(16);
    expect([...b].filter((v) => v === 0.5)).toHaveLength(16);
    expect([...a].slice(12 * 28 + 12, 12 * 28 + 16)).not.toEqual([1, 1, 1, 1]);
    tf.dispose([two, shuffled]);
  });

  it('noise is uniform in [0, 1) and the same for the same seed', async () => {
    const [x, y] = [degrade(image, { kind: 'uniform noise' }), degrade(image, { kind: 'uniform noise' })];
    const values = await x.data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect([...values]).toEqual([...(await y.data())]);
    tf.dispose([x, y]);
  });
});

describe('unit rows', () => {
  it('scales each row to length 1 and leaves a zero row alone', () => {
    const scaled = unitRows({ values: Float32Array.from([3, 4, 0, 0, 0, -2]), count: 3, dim: 2 });
    expect([...scaled.values]).toEqual([0.6, 0.8, 0, 0, 0, -1]);
  });
});
