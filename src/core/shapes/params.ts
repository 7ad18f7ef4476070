/** Node params parsed against their definitions, cached per params object: immer keeps unchanged objects identical. */
import type { NodeDefinition } from '../nodes/types.ts';

export type ParseResult = { ok: true; params: unknown } | { ok: false; issues: { path: PropertyKey[]; message: string }[] };
const parsedParams = new WeakMap<object, Map<NodeDefinition, ParseResult>>();

export function parseParams(def: NodeDefinition, params: Record<string, unknown>): ParseResult {
  let byDef = parsedParams.get(params);
  const cached = byDef?.get(def);
  if (cached) return cached;
  const parsed = def.params.safeParse(params);
  const result: ParseResult = parsed.success
    ? { ok: true, params: parsed.data }
    : { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) };
  if (!byDef) parsedParams.set(params, (byDef = new Map()));
  byDef.set(def, result);
  return result;
}
