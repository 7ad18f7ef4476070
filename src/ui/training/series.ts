/**
 * Chart series built up from training events, in the columnar form uPlot
 * draws: one x array (steps) and one array per named line, with null where
 * a line has no value at a step. Long runs are thinned by halving, so a
 * chart never holds more than `maxPoints` points and its shape stays true.
 */
import { nameRecord, own } from '../../core/base/names.ts';
import type { ObjectiveLosses } from '../../worker/protocol.ts';

export interface Series {
  steps: number[];
  names: string[];
  values: (number | null)[][];
}

export const emptySeries: Series = { steps: [], names: [], values: [] };
export const MAX_POINTS = 2000;

function thin<T>(values: T[]): T[] {
  // Keep every other point, and always the newest.
  const kept = values.filter((_, i) => i % 2 === 1);
  if (values.length % 2 === 1) kept.push(values.at(-1)!);
  return kept;
}

/** The series with one more point; names seen for the first time get a new line (null before). */
export function appendPoint(series: Series, step: number, point: Readonly<Record<string, number>>, maxPoints = MAX_POINTS): Series {
  const names = [...series.names];
  const values = series.values.map((line) => [...line]);
  for (const name of Object.keys(point)) {
    if (!names.includes(name)) {
      names.push(name);
      values.push(new Array<number | null>(series.steps.length).fill(null));
    }
  }
  const steps = [...series.steps];
  // A resumed or repeated step replaces what was there.
  while (steps.length && steps.at(-1)! >= step) {
    steps.pop();
    for (const line of values) line.pop();
  }
  steps.push(step);
  names.forEach((name, i) => {
    const value = own(point, name);
    values[i]!.push(value !== undefined && Number.isFinite(value) ? value : null);
  });
  if (steps.length > maxPoints) return { steps: thin(steps), names, values: values.map(thin) };
  return { steps, names, values };
}

/** One point per objective's total, plus each loss node when an objective has more than one. */
export function lossPoint(objectives: Readonly<Record<string, ObjectiveLosses>>): Record<string, number> {
  const point = nameRecord<number>();
  for (const [id, { total, losses }] of Object.entries(objectives)) {
    point[id] = total;
    const parts = Object.entries(losses);
    if (parts.length > 1) for (const [node, value] of parts) point[`${id} · ${node}`] = value;
  }
  return point;
}

/** The arrays uPlot takes: x first, then each line. */
export function chartData(series: Series): [number[], ...(number | null)[][]] {
  return [series.steps, ...series.values];
}

/** Two series on one chart: the union of their steps, each line null where it has no point. */
export function mergeSeries(a: Series, b: Series): Series {
  if (b.steps.length === 0) return a;
  if (a.steps.length === 0) return b;
  const steps = [...new Set([...a.steps, ...b.steps])].sort((x, y) => x - y);
  const align = (series: Series) =>
    series.values.map((line) => {
      const at = new Map(series.steps.map((step, i) => [step, line[i] ?? null]));
      return steps.map((step) => at.get(step) ?? null);
    });
  return { steps, names: [...a.names, ...b.names], values: [...align(a), ...align(b)] };
}

/** Lines of the named objectives only (a GAN's D against G). */
export function pick(series: Series, names: readonly string[]): Series {
  const index = names.map((n) => series.names.indexOf(n)).filter((i) => i >= 0);
  return { steps: series.steps, names: index.map((i) => series.names[i]!), values: index.map((i) => series.values[i]!) };
}
