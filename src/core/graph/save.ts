/**
 * Saving with a stable key order, so that saved files diff cleanly and
 * load → save gives back the same bytes.
 */
import type { GraphDocument } from './schema.ts';

/** Keys that read best first; every other key follows in alphabetical order. */
const LEADING_KEYS = [
  'format', 'version', 'meta', 'nodes', 'edges', 'modules', 'frames', 'training',
  'id', 'name', 'kind', 'label', 'description', 'family', 'source', 'target', 'node', 'port', 'x', 'y',
];
const RANK = new Map(LEADING_KEYS.map((key, i) => [key, i]));

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a) ?? Infinity;
  const rb = RANK.get(b) ?? Infinity;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareKeys)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) Object.defineProperty(out, key, { value: canonical(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** Compact JSON with keys in the saver's stable order: equal values give equal text (for fingerprints). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

export function saveDocument(doc: GraphDocument): string {
  return `${JSON.stringify(canonical(doc), null, 2)}\n`;
}
