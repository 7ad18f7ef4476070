/**
 * The judge of generated digits: a trained MNIST classifier (the
 * mnist-classifier preset). It reads a set of images two ways:
 * - per image, its class probabilities (class coverage, confidence, and for
 *   conditioned samplers whether the digit asked for is the one it sees);
 * - as a set, its penultimate-layer features, where the set is compared with
 *   the test split: the Fréchet distance between Gaussian fits (judge-FID,
 *   FID with this classifier in Inception's place) and k-NN precision and
 *   recall. Confidence on single images can be high for scribbles; a set
 *   whose features are distributed unlike the data's cannot score well here.
 *
 * Distances in a classifier's feature space have no absolute scale, so the
 * judge measures its own reference points (`judgeReference`): the
 * floor, real training digits against the test split at the same count,
 * and a ladder of degraded real digits (blurred, pixels shuffled, noise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../base/names.ts';
import { createRandom, Rng } from '../base/random.ts';
import { runOps } from '../compiler/forward.ts';
import type { HeldOutSource } from '../data/source.ts';
import { frechetDistance, precisionRecall, type FeatureSet } from './feature-metrics.ts';
import { classifierHead } from './roles.ts';
import type { TrainingSession } from './session.ts';

/** What the judge sees in a set of images. */
export interface JudgeView {
  /** Class probabilities, [n, classes] row-major. */
  probs: Float32Array;
  /** Penultimate-layer features, [n, dim]. */
  features: FeatureSet;
}

/** A trained MNIST classifier that scores images [n, 28, 28, 1] with grey levels in [0, 1]. */
export interface Judge {
  look(images: tf.Tensor): Promise<JudgeView>;
  testAccuracy: number;
  /** Features of the test split: what generated sets are compared with. */
  test: FeatureSet;
  /** Real training digits [n, 28, 28, 1]: the floor and the ladder are made of them. */
  training: tf.Tensor4D;
  dispose(): void;
}

/** Images per pass through the judge: bounds the memory of a look at thousands of images. */
const LOOK_BATCH = 250;

/**
 * A judge from a trained classifier session; its accuracy and features are
 * read from the given test examples. It keeps `training` (real training
 * digits, its reference points' material) and disposes it with itself.
 */
export async function createJudge(session: TrainingSession, testSource: HeldOutSource, training: tf.Tensor4D): Promise<Judge> {
  const head = classifierHead(session.program);
  if (!head) throw new Error('the judge graph has no ClassificationLoss to read its logits from');
  if (!head.features) throw new Error('the judge graph\'s logits layer reads more than one value, so it has no penultimate features');
  const features = head.features;
  const widthOf = (key: string) => session.program.analysis.values.get(key)!.shape.slice(1).reduce<number>((a, b) => a * (b as number), 1);
  const [dim, classes] = [widthOf(features), widthOf(head.logits)];

  async function look(images: tf.Tensor): Promise<JudgeView> {
    const n = images.shape[0]!;
    const probs = new Float32Array(n * classes);
    const values = new Float32Array(n * dim);
    for (let start = 0; start < n; start += LOOK_BATCH) {
      const count = Math.min(LOOK_BATCH, n - start);
      const [p, f] = tf.tidy(() => {
        const slice = tf.slice(images, [start], [count]);
        const out = runOps(head!.ops, session.program.analysis, {
          variables: session.variables,
          feeds: nameRecord([[head!.data.id, { x: slice, y: tf.zeros([count], 'int32') }]]),
          batchSize: count,
          training: false,
          random: createRandom(0),
        });
        return [tf.softmax(out.get(head!.logits)!), tf.reshape(out.get(features)!, [count, dim])];
      });
      probs.set(await p.data(), start * classes);
      values.set(await f.data(), start * dim);
      tf.dispose([p, f]);
    }
    return { probs, features: { values, count: n, dim } };
  }

  let correct = 0;
  const testImages: tf.Tensor[] = [];
  const labels: number[] = [];
  for (let start = 0; start < testSource.size; start += LOOK_BATCH) {
    const batch = testSource.batch(start, LOOK_BATCH);
    testImages.push(batch.x!);
    labels.push(...(await batch.y!.data()));
    batch.y!.dispose();
  }
  const all = tf.concat(testImages);
  tf.dispose(testImages);
  const view = await look(all);
  all.dispose();
  labels.forEach((label, i) => {
    if (topClass(view.probs, i, classes) === label) correct += 1;
  });
  return {
    look,
    testAccuracy: correct / labels.length,
    test: view.features,
    training,
    dispose: () => {
      training.dispose();
      session.dispose();
    },
  };
}

/** The most probable class of row i of [n, classes] probabilities. */
export function topClass(probs: Float32Array, i: number, classes = 10): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
  return best;
}

/** The first `count` rows of a feature set. */
export function firstRows(set: FeatureSet, count: number): FeatureSet {
  const n = Math.min(count, set.count);
  return { values: set.values.subarray(0, n * set.dim), count: n, dim: set.dim };
}

/**
 * How far a set of images is from the test split in the judge's features:
 * FID against the whole test split; precision and recall (k = 3) against as
 * many test images as there are samples, since the k-NN radii shrink as a
 * set grows and the two sets should be alike in size.
 *
 * Precision and recall compare directions (rows scaled to unit length):
 * the ReLU features of images the judge cannot read are short, near the
 * origin, which the wide k-NN balls of the real digits it is unsure of
 * cover; at their raw lengths uniform noise scored a precision of 0.79
 * against the preset judge (0.002 as directions, real digits 0.88 both ways).
 */
export function compareWithTest(judge: Pick<Judge, 'test'>, features: FeatureSet): { fid: number; precision: number; recall: number } {
  const { precision, recall } = precisionRecall(unitRows(firstRows(judge.test, features.count)), unitRows(features));
  return { fid: frechetDistance(features, judge.test), precision, recall };
}

/** Each row scaled to unit length (a row of zeros stays zero). */
export function unitRows(set: FeatureSet): FeatureSet {
  const values = Float64Array.from(set.values);
  for (let i = 0; i < set.count; i++) {
    const row = values.subarray(i * set.dim, (i + 1) * set.dim);
    const length = Math.hypot(...row);
    if (length > 0) for (let j = 0; j < set.dim; j++) row[j]! /= length;
  }
  return { values, count: set.count, dim: set.dim };
}

/** Ways to spoil real digits for the ladder, from mild to total. */
export type Degradation = { kind: 'blur'; sigma: number } | { kind: 'shuffled pixels' } | { kind: 'uniform noise' };

export const LADDER: readonly Degradation[] = [{ kind: 'blur', sigma: 1 }, { kind: 'blur', sigma: 2 }, { kind: 'shuffled pixels' }, { kind: 'uniform noise' }];

export const degradationName = (d: Degradation): string => (d.kind === 'blur' ? `blur σ=${d.sigma}` : d.kind);

/** Images [n, h, w, 1] in [0, 1] spoiled one way; seeded, so the ladder is the same on every run. */
export function degrade(images: tf.Tensor4D, how: Degradation, seed = 7): tf.Tensor4D {
  const [n, h, w] = images.shape;
  if (how.kind === 'uniform noise') return createRandom(seed).uniform(images.shape) as tf.Tensor4D;
  if (how.kind === 'shuffled pixels') {
    // Each image's own permutation: the grey levels stay, the strokes go.
    const rng = new Rng(seed);
    const indices = new Int32Array(n * h * w);
    for (let i = 0; i < n; i++) {
      const order = Array.from({ length: h * w }, (_, j) => j);
      for (let j = order.length - 1; j > 0; j--) {
        const k = rng.integer(j + 1);
        [order[j], order[k]] = [order[k]!, order[j]!];
      }
      order.forEach((from, j) => (indices[i * h * w + j] = i * h * w + from));
    }
    return tf.tidy(() => tf.reshape(tf.gather(tf.reshape(images, [-1]), tf.tensor1d(indices, 'int32')), images.shape));
  }
  // A separable Gaussian blur, the kernel cut at 3σ and normalised; zero padding, as the digits' borders are black.
  const radius = Math.ceil(3 * how.sigma);
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * how.sigma ** 2)));
  const total = taps.reduce((a, b) => a + b, 0);
  const kernel = taps.map((t) => t / total);
  return tf.tidy(() => {
    const across = tf.conv2d(images, tf.tensor4d(kernel, [1, kernel.length, 1, 1]), 1, 'same');
    return tf.conv2d(across, tf.tensor4d(kernel, [kernel.length, 1, 1, 1]), 1, 'same');
  });
}

/** One rung of the reference scale: a set of real digits (maybe spoiled) against the test split. */
export interface ReferencePoint {
  set: string;
  count: number;
  fid: number;
  precision: number;
  recall: number;
}

/**
 * The judge's reference points for `count` generated samples: the floor
 * (real training digits, `count` of them, against the test split: the best
 * a generator of the data can score with that many samples, since FID is
 * biased upwards for small sets) and the ladder of those digits spoiled.
 */
export async function judgeReference(judge: Judge, count: number, ladder: readonly Degradation[] = LADDER): Promise<ReferencePoint[]> {
  const real = tf.slice(judge.training, [0], [Math.min(count, judge.training.shape[0])]) as tf.Tensor4D;
  const points: ReferencePoint[] = [];
  const measure = async (set: string, images: tf.Tensor) => {
    const { features } = await judge.look(images);
    points.push({ set, count: features.count, ...compareWithTest(judge, features) });
  };
  await measure('real training digits', real);
  for (const how of ladder) {
    const spoiled = degrade(real, how);
    await measure(degradationName(how), spoiled);
    spoiled.dispose();
  }
  real.dispose();
  return points;
}
