/**
 * Schedules over an objective's own updates: the learning rate an
 * optimizer's settings give at each update, and the linear warm-up of a
 * loss weight (KL annealing). Pure functions of the update count, which a
 * checkpoint keeps, so a resumed run follows the very same schedule.
 */
import type { OptimizerSettings } from '../graph/schema.ts';

/**
 * The learning rate of update `t` (0 for the first): settings.learningRate
 * without a schedule; with one, lr · (t + 1) / warmupSteps while
 * t < warmupSteps, then for a cosine decay
 *   min + (lr − min) · ½ (1 + cos(π · min(1, (t − warmupSteps) / decaySteps))).
 */
export function learningRateAt(settings: Pick<OptimizerSettings, 'learningRate' | 'schedule'>, t: number): number {
  const lr = settings.learningRate;
  const schedule = settings.schedule;
  if (!schedule) return lr;
  if (t < schedule.warmupSteps) return (lr * (t + 1)) / schedule.warmupSteps;
  if (schedule.decay === 'none') return lr;
  const progress = Math.min(1, (t - schedule.warmupSteps) / schedule.decaySteps);
  return schedule.minLearningRate + (lr - schedule.minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
