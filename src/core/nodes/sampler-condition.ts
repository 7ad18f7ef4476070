/**
 * Class labels a sampler is conditioned on. A sampler's optional `condition`
 * input points at the labels of the training graph (usually the Data node's
 * `y`); when sampling, those labels are replaced by the ones the person
 * chooses: each class in turn, a list of values, or a held-out batch's.
 * The compiler plans and the sampling runtime supplies them, so a sampler
 * kind only spreads the port and the params below into its definition.
 */
import { z } from 'zod';
import type { SamplerValues } from './sampler-types.ts';

export const conditionPort = {
  name: 'condition',
  type: 'tokens',
  optional: true,
  doc: "class labels the model is conditioned on (e.g. the Data node's y); sampling replaces them by the labels chosen",
} as const;

export const conditionParams = {
  /** each-class: 0, 1, ..., n−1 in equal runs (a grid row per class); values: the listed labels in equal runs; held-out: a held-out batch's labels. */
  condition: z.enum(['each-class', 'values', 'held-out']).default('each-class'),
  /** The labels for `condition: values`, e.g. [3] for all threes. */
  conditionValues: z.array(z.int().min(0).max(1 << 20)).max(4096).default([]),
};

export type ConditionChoice = { kind: 'each-class' } | { kind: 'values'; values: readonly number[] } | { kind: 'held-out' };

/** The choice a sampler's params make. */
export function conditionChoiceOf(params: unknown): ConditionChoice {
  const p = params as { condition?: ConditionChoice['kind']; conditionValues?: number[] };
  if (p.condition === 'values') return { kind: 'values', values: p.conditionValues ?? [] };
  if (p.condition === 'held-out') return { kind: 'held-out' };
  return { kind: 'each-class' };
}

/**
 * The label of each of `count` samples: the choice's labels (0..classes−1
 * for each-class) in equal contiguous runs, so that 100 samples of 10
 * classes fill a 10 × 10 grid a row per class. Undefined for held-out labels.
 */
export function conditionLabels(choice: ConditionChoice, classes: number | undefined, count: number): number[] | undefined {
  if (choice.kind === 'held-out') return undefined;
  const values = choice.kind === 'values' ? choice.values : Array.from({ length: classes ?? 0 }, (_, i) => i);
  if (values.length === 0) throw new Error('no labels to sample with');
  return Array.from({ length: count }, (_, i) => values[Math.floor((i * values.length) / count)]!);
}

/**
 * Why a choice cannot be used with labels of `classes` classes (ids
 * 0..classes−1, when known), or undefined. The null label of a model
 * trained with condition dropout is a choice too: samples of no class.
 */
export function conditionProblem(choice: ConditionChoice, classes: number | undefined, nullLabel?: number): string | undefined {
  if (choice.kind === 'held-out') return undefined;
  if (choice.kind === 'each-class') return classes === undefined ? 'the number of classes of its condition is not known here: choose the labels with condition "values"' : undefined;
  if (choice.values.length === 0) return 'condition "values" needs at least one label in conditionValues';
  const over = choice.values.find((v) => classes !== undefined && v >= classes && v !== nullLabel);
  return over === undefined ? undefined : `the label ${over} is not a class of its condition (0 to ${classes! - 1})`;
}

/** Parses `each-class`, `held-out` or a comma-separated list of labels (a command line's --condition). */
export function parseConditionChoice(text: string): ConditionChoice | undefined {
  const t = text.trim();
  if (t === 'each-class' || t === 'held-out') return { kind: t };
  if (!/^\d+(\s*,\s*\d+)*$/.test(t)) return undefined;
  const values = t.split(',').map((v) => Number(v.trim()));
  return values.every((v) => Number.isSafeInteger(v) && v <= 1 << 20) && values.length <= 4096 ? { kind: 'values', values } : undefined;
}

/** One example's shape of a value (its batch axis dropped), for an exported loop's draws. */
export function exampleShape(values: SamplerValues, key: string): number[] {
  const shape = values.valueOf(key)?.shape ?? [];
  return shape.slice(1).map((d) => (typeof d === 'number' ? d : 0));
}
