/** A one-line progress bar for terminals; plain log lines otherwise. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(1) : abs >= 1 ? value.toFixed(3) : value.toPrecision(3);
}

export interface ProgressLine {
  step: number;
  totalSteps: number;
  losses: Record<string, number>;
  stepsPerSecond: number;
}

export function progressLine({ step, totalSteps, losses, stepsPerSecond }: ProgressLine, width = 24): string {
  const done = Math.max(0, Math.min(1, step / totalSteps));
  const filled = Math.round(done * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const lossText = Object.entries(losses)
    .map(([name, value]) => `${name} ${formatNumber(value)}`)
    .join('  ');
  const eta = stepsPerSecond > 0 ? formatDuration((totalSteps - step) / stepsPerSecond) : '?';
  return `step ${step}/${totalSteps} ${bar} ${Math.round(done * 100)}%  ${lossText}  ${stepsPerSecond.toFixed(1)} steps/s  ETA ${eta}`;
}
