/** The numbers under the progress bar: done share, steps per second, time left. */
import type { TrainingState } from '../../core/train/state.ts';

export interface Progress {
  step: number;
  totalSteps: number;
  /** In [0, 1]. */
  fraction: number;
  stepsPerSecond: number;
  /** Seconds left at the current speed; undefined while the speed is unknown. */
  etaSeconds: number | undefined;
}

export function progressOf(state: TrainingState, stepsPerSecond: number): Progress | undefined {
  if (state.status === 'idle') return undefined;
  const { step, totalSteps } = state;
  const fraction = totalSteps > 0 ? Math.min(1, step / totalSteps) : 0;
  const left = Math.max(0, totalSteps - step);
  const etaSeconds = left === 0 ? 0 : stepsPerSecond > 0 ? left / stepsPerSecond : undefined;
  return { step, totalSteps, fraction, stepsPerSecond, etaSeconds };
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "step 120 / 6,000 · 14.2 steps/s · ETA 6:56". */
export function progressText(p: Progress, running: boolean): string {
  const parts = [`step ${p.step.toLocaleString('en')} / ${p.totalSteps.toLocaleString('en')}`];
  if (running && p.stepsPerSecond > 0) parts.push(`${p.stepsPerSecond >= 10 ? p.stepsPerSecond.toFixed(0) : p.stepsPerSecond.toFixed(1)} steps/s`);
  if (running) parts.push(p.etaSeconds === undefined ? 'ETA …' : `ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join(' · ');
}

/** Speed smoothed over reports, so the ETA does not jump with every read-back. */
export function smoothSpeed(previous: number, latest: number, weight = 0.3): number {
  if (!(latest > 0)) return previous;
  return previous > 0 ? previous + weight * (latest - previous) : latest;
}
