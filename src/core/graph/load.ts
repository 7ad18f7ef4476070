/**
 * Loading untrusted documents: read limits → JSON → format and version probe
 * → migrations → strict schema. Never throws on user input: every outcome is
 * a typed result, and failures name the JSON path and the reason.
 */
import type { z } from 'zod';
import { findInvalidUtf8 } from '../base/utf8.ts';
import { diagnostic, type Diagnostic } from '../base/diagnostics.ts';
import { LIMITS } from './limits.ts';
import { FIRST_VERSION, MIGRATIONS } from './migrations.ts';
import { GRAPH_FORMAT, LATEST_VERSION, zGraphDocument, type GraphDocument } from './schema.ts';

export { findInvalidUtf8, type Utf8Problem } from '../base/utf8.ts';

export type LoadResult =
  | { ok: true; document: GraphDocument; migratedFrom?: number }
  | { ok: false; diagnostics: Diagnostic[] };

const fail = (...diagnostics: Diagnostic[]): LoadResult => ({ ok: false, diagnostics });

/** `nodes[3].params.units` from a zod or walk path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  if (out.length > 120) out = `${out.slice(0, 117)}...`;
  return out || '(document)';
}

/** Checks depth, sizes and counts of raw JSON before any schema walks it. */
function checkLimits(value: unknown): Diagnostic | undefined {
  let nodes = 0;
  let edges = 0;
  const stack: { value: unknown; depth: number; path: PropertyKey[] }[] = [{ value, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (depth > LIMITS.depth) {
      return diagnostic('GC007', { reason: `nesting deeper than ${LIMITS.depth} levels` }, { path: formatPath(path) });
    }
    if (typeof v === 'string' && v.length > LIMITS.textLength) {
      return diagnostic('GC007', { reason: `a text of ${v.length} characters (at most ${LIMITS.textLength})` }, { path: formatPath(path) });
    }
    if (Array.isArray(v)) {
      if (v.length > LIMITS.arrayLength) {
        return diagnostic('GC007', { reason: `a list of ${v.length} items (at most ${LIMITS.arrayLength})` }, { path: formatPath(path) });
      }
      const last = path[path.length - 1];
      if (last === 'nodes') nodes += v.length;
      if (last === 'edges' || last === 'links') edges += v.length;
      v.forEach((item, i) => stack.push({ value: item, depth: depth + 1, path: [...path, i] }));
    } else if (typeof v === 'object' && v !== null) {
      for (const key of Object.keys(v)) {
        stack.push({ value: (v as Record<string, unknown>)[key], depth: depth + 1, path: [...path, key] });
      }
    }
  }
  if (nodes > LIMITS.nodes) return diagnostic('GC007', { reason: `${nodes} nodes (at most ${LIMITS.nodes})` });
  if (edges > LIMITS.edges) return diagnostic('GC007', { reason: `${edges} edges (at most ${LIMITS.edges})` });
  return undefined;
}

function schemaDiagnostics(error: z.ZodError): Diagnostic[] {
  return error.issues.slice(0, 20).map((issue) => {
    const path = formatPath(issue.path);
    return diagnostic('GC006', { reason: issue.message }, { path });
  });
}

/** Ids must be unique among nodes, among edges, among modules and among frames, each within its scope. */
function duplicateIds(doc: GraphDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (items: readonly { id: string }[], path: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.id)) out.push(diagnostic('GC008', { id: item.id }, { path: `${path}[${i}].id` }));
      seen.add(item.id);
    });
  };
  check(doc.nodes, 'nodes');
  check(doc.edges, 'edges');
  check(doc.modules, 'modules');
  check(doc.frames, 'frames');
  doc.modules.forEach((m, i) => {
    check(m.nodes, `modules[${i}].nodes`);
    check(m.edges, `modules[${i}].edges`);
    check(m.frames, `modules[${i}].frames`);
  });
  return out;
}

/** Runs the migrations from `version` up to the latest. */
export function migrate(doc: Record<string, unknown>, version: number): Record<string, unknown> {
  let current = doc;
  for (let v = version; v < LATEST_VERSION; v++) {
    const migration = MIGRATIONS[v - FIRST_VERSION];
    if (!migration || migration.to !== v + 1) throw new Error(`no migration from version ${v}`);
    current = migration.up(current);
  }
  return current;
}

/** Loads an already-parsed JSON value. */
export function loadValue(value: unknown): LoadResult {
  const limit = checkLimits(value);
  if (limit) return fail(limit);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(diagnostic('GC003', { found: Array.isArray(value) ? 'a list' : JSON.stringify(value) }));
  }
  const raw = value as Record<string, unknown>;
  if (raw.format !== GRAPH_FORMAT) {
    return fail(diagnostic('GC003', { found: raw.format === undefined ? 'no "format"' : JSON.stringify(raw.format).slice(0, 80) }, { path: 'format' }));
  }
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < FIRST_VERSION || version > LATEST_VERSION) {
    return fail(diagnostic('GC004', { found: JSON.stringify(version) ?? 'none', latest: LATEST_VERSION }, { path: 'version' }));
  }
  let migrated: Record<string, unknown>;
  try {
    migrated = migrate(raw, version);
  } catch (error) {
    return fail(diagnostic('GC005', { from: version, reason: error instanceof Error ? error.message : String(error) }));
  }
  const parsed = zGraphDocument.safeParse(migrated);
  if (!parsed.success) return fail(...schemaDiagnostics(parsed.error));
  const duplicates = duplicateIds(parsed.data);
  if (duplicates.length > 0) return fail(...duplicates);
  return version === LATEST_VERSION
    ? { ok: true, document: parsed.data }
    : { ok: true, document: parsed.data, migratedFrom: version };
}

/** UTF-8 length of `text`, counted without encoding a copy of it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Loads document text (a file's contents or a shared link's payload); a leading BOM is dropped. */
export function loadText(text: string): LoadResult {
  return parseText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

function parseText(text: string): LoadResult {
  const bytes = utf8Length(text);
  if (bytes > LIMITS.fileBytes) return fail(diagnostic('GC001', { size: bytes, limit: LIMITS.fileBytes }));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(diagnostic('GC002', { reason: error instanceof Error ? error.message : String(error) }));
  }
  return loadValue(value);
}

const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Loads a file's bytes: the size limit, then UTF-8 (a leading BOM is
 * dropped; a byte sequence that is not UTF-8 is GC010, naming its offset),
 * then loadText. The CLI and the app both open files through this, so they
 * accept and refuse the same files.
 */
export function loadBytes(bytes: Uint8Array): LoadResult {
  if (bytes.length > LIMITS.fileBytes) return fail(diagnostic('GC001', { size: bytes.length, limit: LIMITS.fileBytes }));
  const start = BOM.every((b, i) => bytes[i] === b) ? BOM.length : 0;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
  } catch {
    const problem = findInvalidUtf8(bytes.subarray(start)) ?? { offset: 0, reason: 'the decoder refused it' };
    return fail(diagnostic('GC010', { reason: problem.reason, offset: problem.offset + start }));
  }
  // The BOM is gone already: a second one is a character, which JSON refuses.
  return parseText(text);
}
