/** Reading and checking what people type into the inspector's fields. Pure. */
import { dataParamApplies } from '../../core/data/datasets.ts';
import type { ParamDescription } from '../../core/nodes/describe.ts';
import type { NodeDefinition } from '../../core/nodes/types.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** A number from a field; empty text is `undefined` (back to the default) where that is allowed. */
export function parseNumber(text: string, options: { integer: boolean; optional: boolean }): Parsed<number | undefined> {
  const t = text.trim();
  if (t === '') return options.optional ? { ok: true, value: undefined } : { ok: false, error: 'Enter a number.' };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, error: 'Enter a number.' };
  if (options.integer && !Number.isInteger(n)) return { ok: false, error: 'Enter a whole number.' };
  return { ok: true, value: n };
}

/** "400, 200" → [400, 200]. */
export function parseIntList(text: string): Parsed<number[]> {
  const t = text.trim();
  if (t === '') return { ok: true, value: [] };
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const values: number[] = [];
  for (const part of parts) {
    const n = Number(part);
    if (!Number.isInteger(n)) return { ok: false, error: `"${part}" is not a whole number; use whole numbers separated by commas.` };
    values.push(n);
  }
  return { ok: true, value: values };
}

export const formatList = (value: unknown): string => (Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value));

/** The params the inspector shows for a node: all of them, except those of a Data node that its dataset does not read. */
export function shownParams(kind: string, params: Readonly<Record<string, unknown>>, descriptions: readonly ParamDescription[]): ParamDescription[] {
  if (kind !== 'Data') return [...descriptions];
  const dataset = params.dataset ?? descriptions.find((d) => d.name === 'dataset')?.default;
  return descriptions.filter((d) => dataParamApplies(dataset, d.name));
}

/** What the node's schema says about setting `name` to `value`; undefined when it is fine. */
export function paramIssue(def: NodeDefinition, params: Record<string, unknown>, name: string, value: unknown): string | undefined {
  const next = { ...params };
  if (value === undefined) delete next[name];
  else next[name] = value;
  const parsed = def.params.safeParse(next);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues.find((i) => i.path[0] === name);
  if (!issue) return undefined;
  const at = issue.path.length > 1 ? ` (item ${String(issue.path[1])})` : '';
  return `${issue.message}${at}`;
}

/** A short line under a field: its range and default. */
export function paramHint(desc: ParamDescription): string {
  const parts: string[] = [];
  if (desc.minimum !== undefined && desc.maximum !== undefined) parts.push(`${desc.minimum} to ${desc.maximum}`);
  else if (desc.minimum !== undefined) parts.push(`at least ${desc.minimum}`);
  else if (desc.maximum !== undefined) parts.push(`at most ${desc.maximum}`);
  if (desc.type === 'array') parts.push('comma-separated');
  if (desc.default !== undefined) parts.push(`default ${Array.isArray(desc.default) ? `[${desc.default.join(', ')}]` : String(desc.default)}`);
  else if (desc.optional) parts.push('optional');
  return parts.join(' · ');
}

/** camelCase → "Camel case", for field labels. */
export function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
