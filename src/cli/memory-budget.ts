/**
 * `--memory-budget MB`: the most memory a document may ask for on this
 * machine. A document's own `training.memoryBudgetMB` is capped by it
 * (GC208), so a shared file cannot raise its budget past what the person
 * running it allows.
 */
import { inert } from '../core/base/text.ts';
import { MEMORY_BUDGET_RANGE } from '../core/graph/schema.ts';
import { UsageError } from './args.ts';

/** The flag, for parseFlags. */
export const MEMORY_BUDGET_FLAG = { 'memory-budget': { type: 'string' } } as const;

/** Whole megabytes, in the range documents may ask for; undefined when the flag is absent. */
export function parseMemoryBudget(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const { min, max } = MEMORY_BUDGET_RANGE;
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(inert`--memory-budget must be a whole number of megabytes between ${min} and ${max}, not "${value}"`);
  return n;
}
