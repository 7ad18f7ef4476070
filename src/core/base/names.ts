/**
 * Records indexed by names that come from documents: node ids, objective
 * ids, module port names. A plain `{}` inherits from Object.prototype, so
 * `record['__proto__'] = v` would set its prototype instead of a key, and
 * `record['toString']` would read a function. These records have no
 * prototype: every name is an own key like any other, and they still
 * serialise to JSON and spread like plain objects.
 */

/** An empty record (or one from entries) without a prototype. */
export function nameRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) out[name] = value;
  return out;
}

/** The value `record` holds under `name` itself, never one it inherits (records may come from JSON). */
export function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
