/**
 * How a GAN's discriminator judges real and generated data at the moment:
 * D(real) and D(fake), its mean output over a batch of held-out real
 * examples and a batch of generated ones. The outputs are the inputs of the
 * discriminator-side adversarial loss, so one forward pass of that
 * objective (no updates, fixed noise) gives both. What they mean follows
 * the loss's `loss`:
 * - non-saturating: the outputs are logits, shown as probabilities σ(d):
 *   near 0.5 for both is a balanced game; D(real) → 1 and D(fake) → 0 is a
 *   discriminator that has won, and the generator's gradients vanish;
 * - least-squares: raw scores, which the discriminator pulls to 1 (real)
 *   and 0 (fake), so they read on the same scale;
 * - hinge and wasserstein: raw scores with no fixed scale; what reads is the
 *   gap D(real) − D(fake), for a Wasserstein critic the estimate of the
 *   distance between the data and the generator's distribution.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CompiledObjective, Program } from '../core/compiler/program.ts';
import { nameRecord } from '../core/base/names.ts';
import { runOps } from '../core/compiler/forward.ts';
import type { FlatOp } from '../core/shapes/analyze.ts';
import type { HeldOutFeed } from '../core/train/family-eval.ts';
import { createRandom } from '../core/base/random.ts';
import type { TrainingSession } from '../core/train/session.ts';

/** Examples in each of the two batches: enough for a steady mean, few enough to cost one small forward pass. */
export const DISCRIMINATOR_EXAMPLES = 64;

export interface DiscriminatorMeans {
  real: number;
  fake: number;
  /**
   * 'probability': σ of logits (non-saturating); 'target': raw outputs pulled to 1 and 0 (least-squares);
   * 'score': raw outputs with no fixed scale (hinge, wasserstein), read by their gap.
   */
  scale: BalanceScale;
  /** real − fake, on that scale. */
  gap: number;
}

export type BalanceScale = 'probability' | 'target' | 'score';

/** How a discriminator loss reads its inputs: logits as probabilities, least-squares targets and unbounded scores as they are. */
export function balanceScale(loss: FlatOp): BalanceScale {
  switch ((loss.params as { loss?: string }).loss ?? 'non-saturating') {
    case 'non-saturating':
      return 'probability';
    case 'least-squares':
      return 'target';
    default:
      return 'score';
  }
}

/** The discriminator-side adversarial loss with both logits wired, and the objective it belongs to. */
export function discriminatorLoss(program: Pick<Program, 'objectives'>): { objective: CompiledObjective; loss: FlatOp } | undefined {
  for (const objective of program.objectives) {
    for (const loss of objective.losses) {
      const side = (loss.params as { side?: string }).side;
      if (loss.kind === 'AdversarialLoss' && side === 'discriminator' && loss.inputs.real && loss.inputs.fake) return { objective, loss };
    }
  }
  return undefined;
}

/** D(real) and D(fake) over `count` examples each; undefined when the graph has no discriminator loss. */
export async function discriminatorMeans(session: TrainingSession, feed: HeldOutFeed, count: number, seed: number): Promise<DiscriminatorMeans | undefined> {
  const found = discriminatorLoss(session.program);
  if (!found || count < 1) return undefined;
  const { objective, loss } = found;
  const scale = balanceScale(loss);
  const feeds = nameRecord(objective.ops.filter((op) => op.kind === 'Data').map((op) => [op.id, feed(op, 0, count)]));
  try {
    const means = tf.tidy(() => {
      const values = runOps(objective.ops, session.program.analysis, { variables: session.variables, feeds, batchSize: count, training: false, random: createRandom(seed) });
      const mean = (key: string) => tf.mean(scale === 'probability' ? tf.sigmoid(values.get(key)!) : values.get(key)!);
      return tf.stack([mean(loss.inputs.real!), mean(loss.inputs.fake!)]);
    });
    const [real, fake] = await means.data();
    means.dispose();
    return { real: real!, fake: fake!, scale, gap: real! - fake! };
  } finally {
    for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
  }
}
