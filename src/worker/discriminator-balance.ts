/**
 * How a GAN's discriminator judges real and generated data at the moment:
 * D(real) and D(fake), the mean of σ(logit) over a batch of held-out real
 * examples and a batch of generated ones. The logits are the inputs of the
 * discriminator-side adversarial loss, so one forward pass of that
 * objective (no gradients, no updates, fixed noise) gives both. Near 0.5
 * for both is a balanced game; D(real) → 1 and D(fake) → 0 is a
 * discriminator that has won, and the generator's gradients vanish.
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
  const feeds = nameRecord(objective.ops.filter((op) => op.kind === 'Data').map((op) => [op.id, feed(op, 0, count)]));
  try {
    const means = tf.tidy(() => {
      const values = runOps(objective.ops, session.program.analysis, { variables: session.variables, feeds, batchSize: count, training: false, random: createRandom(seed) });
      const meanProbability = (key: string) => tf.mean(tf.sigmoid(values.get(key)!));
      return tf.stack([meanProbability(loss.inputs.real!), meanProbability(loss.inputs.fake!)]);
    });
    const [real, fake] = await means.data();
    means.dispose();
    return { real: real!, fake: fake! };
  } finally {
    for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
  }
}
