/**
 * The results record that `gencomposer reproduce` keeps (docs/results/
 * results.json) and the README table made from it: each preset's held-out
 * numbers over its seeds as mean ± standard deviation, read from the runs'
 * summary.json files by key, so a graph's metrics are whatever its eval
 * block holds (core/train/roles.ts decides those from what the graph is).
 */

/** One run of one preset, as the record keeps it. */
export interface SeedResult {
  seed: number;
  date: string;
  backend: string;
  steps: number;
  msPerStep: number;
  wallSeconds: number;
  evalSeconds: number;
  /** Flat numbers by key: `negElbo`, or `SAMPLER.fid` for a sampler's. */
  metrics: Record<string, number>;
  /** The judge's reference points at the largest sample count, where samples were judged. */
  judgeReference?: { set: string; count: number; fid: number; precision: number; recall: number }[];
  judgeTestAccuracy?: number;
}

export interface PresetResult {
  file: string;
  split: string;
  /** The command that trains one seed. */
  command: string;
  machine: string;
  seeds: SeedResult[];
}

export interface ResultsRecord {
  presets: Record<string, PresetResult>;
}

/** How each metric reads in the table: its label, digits, and whether it is a share shown in %. */
interface MetricFormat {
  label: string;
  digits: number;
  percent?: boolean;
  exponent?: boolean;
}

const HELD_OUT: Record<string, MetricFormat> = {
  negElbo: { label: 'negative ELBO, nats', digits: 1 },
  negIwae: { label: 'IWAE bound (K = 100), nats', digits: 1 },
  valNatsPerChar: { label: 'nats per character', digits: 3 },
  valNll: { label: 'NLL, nats', digits: 2 },
  valBitsPerDim: { label: 'bits per dimension', digits: 3 },
  valNatsPerCode: { label: 'nats per code', digits: 3 },
  testAccuracy: { label: 'test accuracy', digits: 1, percent: true },
  validationAccuracy: { label: 'validation accuracy', digits: 1, percent: true },
  inverseError: { label: 'round-trip error', digits: 1, exponent: true },
};

const SAMPLE: Record<string, MetricFormat> = {
  fid: { label: 'judge-FID', digits: 1 },
  precision: { label: 'precision', digits: 2 },
  recall: { label: 'recall', digits: 2 },
  classAccuracy: { label: 'digit asked for', digits: 1, percent: true },
  meanConfidence: { label: 'confidence', digits: 2 },
  classCoverage: { label: 'digits', digits: 1 },
  modesCovered: { label: 'modes', digits: 1 },
  withinThreeStd: { label: 'within 3 std', digits: 1, percent: true },
  exactMatch: { label: 'exact match', digits: 1, percent: true },
  novel: { label: 'not in training set', digits: 0, percent: true },
};

/** The numbers of one run's summary.json worth a table cell, flat by key. */
export function metricsOfSummary(summary: { eval?: Record<string, unknown> }): Record<string, number> {
  const out: Record<string, number> = {};
  const evaluation = summary.eval ?? {};
  for (const key of Object.keys(HELD_OUT)) if (typeof evaluation[key] === 'number') out[key] = evaluation[key];
  const samplers = Array.isArray(evaluation.samplers) ? (evaluation.samplers as Record<string, unknown>[]) : [];
  for (const score of samplers) {
    const name = String(score.sampler);
    for (const key of Object.keys(SAMPLE)) if (typeof score[key] === 'number') out[`${name}.${key}`] = score[key];
    if (typeof score.copiesOfTraining === 'number') out[`${name}.novel`] = 1 - score.copiesOfTraining;
    const floor = score.floor as { fid?: unknown } | undefined;
    if (typeof floor?.fid === 'number') out[`${name}.fidFloor`] = floor.fid;
  }
  return out;
}

/** Mean and sample standard deviation (n − 1); the deviation is undefined for one value. */
export function meanAndSpread(values: readonly number[]): { mean: number; sd?: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

function formatNumber(value: number, format: MetricFormat): string {
  if (format.exponent) return value.toExponential(format.digits);
  const scaled = format.percent ? value * 100 : value;
  return scaled.toLocaleString('en-US', { minimumFractionDigits: format.digits, maximumFractionDigits: format.digits });
}

function formatCell(values: readonly number[], format: MetricFormat): string {
  const { mean, sd } = meanAndSpread(values);
  // A round-trip error is reported at its worst: the largest over the seeds.
  if (format.exponent) return formatNumber(Math.max(...values), format);
  const unit = format.percent ? '%' : '';
  return sd === undefined ? `${formatNumber(mean, format)}${unit}` : `${formatNumber(mean, format)} ± ${formatNumber(sd, format)}${unit}`;
}

/** Values of a key over the seeds that have it. */
const valuesOf = (seeds: readonly SeedResult[], key: string) => seeds.flatMap((s) => (key in s.metrics ? [s.metrics[key]!] : []));

/** The held-out cell: each metric the runs have, in the order of HELD_OUT. */
function heldOutCell(seeds: readonly SeedResult[]): string {
  return Object.entries(HELD_OUT)
    .flatMap(([key, format]) => {
      const values = valuesOf(seeds, key);
      return values.length ? [`${format.label} ${formatCell(values, format)}`] : [];
    })
    .join('; ');
}

/** The samples cell: per sampler, its scores, and the FID floor (real digits at the same count) to read the FID against. */
function samplesCell(seeds: readonly SeedResult[]): string {
  const samplers = [...new Set(seeds.flatMap((s) => Object.keys(s.metrics).filter((k) => k.includes('.')).map((k) => k.slice(0, k.lastIndexOf('.')))))];
  return samplers
    .map((name) => {
      const parts = Object.entries(SAMPLE).flatMap(([key, format]) => {
        const values = valuesOf(seeds, `${name}.${key}`);
        if (!values.length) return [];
        const floor = key === 'fid' ? valuesOf(seeds, `${name}.fidFloor`) : [];
        return [`${format.label} ${formatCell(values, format)}${floor.length ? ` (floor ${formatNumber(meanAndSpread(floor).mean, format)})` : ''}`];
      });
      return parts.length ? `${samplers.length > 1 ? `${name}: ` : ''}${parts.join(', ')}` : '';
    })
    .filter(Boolean)
    .join('; ');
}

/**
 * Training time as steps × the measured ms per step (validation passes and
 * checkpoints included), so a run that was stopped and resumed counts all
 * its steps, not only those of its last process; then the evaluation.
 */
function timeCell(seeds: readonly SeedResult[]): string {
  const train = meanAndSpread(seeds.map((s) => (s.steps * s.msPerStep) / 1000)).mean;
  const evaluation = meanAndSpread(seeds.map((s) => s.evalSeconds)).mean;
  const step = meanAndSpread(seeds.map((s) => s.msPerStep)).mean;
  return `${Math.round(train).toLocaleString('en-US')} s (+ ${Math.round(evaluation).toLocaleString('en-US')} s), ${seeds[0]!.steps.toLocaleString('en-US')} steps at ${Math.round(step)} ms`;
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

/** The README's results table, and the judge's scale under it. */
export function renderResults(record: ResultsRecord, order: readonly string[]): string {
  const names = [...order.filter((n) => n in record.presets), ...Object.keys(record.presets).filter((n) => !order.includes(n)).sort()];
  const lines = [
    '| preset | held-out (split) | samples | seeds | training (+ eval) per seed | reproduce one seed |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const name of names) {
    const preset = record.presets[name]!;
    const seeds = preset.seeds;
    const held = heldOutCell(seeds);
    lines.push(
      `| \`${name}\` | ${escapeCell(held ? `${held} (${preset.split})` : '—')} | ${escapeCell(samplesCell(seeds) || '—')} | ${seeds.map((s) => s.seed).join(', ')} | ${timeCell(seeds)} | \`${escapeCell(preset.command)}\` |`,
    );
  }
  const machines = [...new Set(names.map((n) => record.presets[n]!.machine))];
  const dates = names.flatMap((n) => record.presets[n]!.seeds.map((s) => s.date)).sort();
  const backends = [...new Set(names.flatMap((n) => record.presets[n]!.seeds.map((s) => s.backend)))];
  const span = dates[0] === dates.at(-1) ? `of ${dates[0] ?? '—'}` : `of ${dates[0]} to ${dates.at(-1)}`;
  lines.push('', `Mean ± standard deviation over the seeds listed; runs ${span} on ${machines.join('; ')}, backend ${backends.join(', ')}.`);
  const judged = names.map((n) => record.presets[n]!.seeds.find((s) => s.judgeReference)).find(Boolean);
  if (judged?.judgeReference) {
    const ladder = judged.judgeReference.map((p) => `${p.set} ${formatNumber(p.fid, SAMPLE.fid!)} (precision ${p.precision.toFixed(2)}, recall ${p.recall.toFixed(2)})`).join(', ');
    lines.push(
      '',
      `The judge-FID's scale, ${judged.judgeReference[0]!.count.toLocaleString('en-US')} images against the test split in the judge's features (its test accuracy ${((judged.judgeTestAccuracy ?? 0) * 100).toFixed(1)}%): ${ladder}. A sampler scored on fewer samples (DDPM, pixel by pixel) has its floor at its own count beside its FID.`,
    );
  }
  return lines.join('\n');
}

export const RESULTS_BEGIN = '<!-- results: written by `npx gencomposer reproduce`; edits here are overwritten -->';
export const RESULTS_END = '<!-- /results -->';

/** The text with what lies between the markers replaced; the markers are added at the end when missing. */
export function replaceResults(text: string, table: string): string {
  const begin = text.indexOf(RESULTS_BEGIN);
  const end = text.indexOf(RESULTS_END);
  const block = `${RESULTS_BEGIN}\n${table}\n${RESULTS_END}`;
  if (begin < 0 || end < begin) return `${text.trimEnd()}\n\n${block}\n`;
  return text.slice(0, begin) + block + text.slice(end + RESULTS_END.length);
}
