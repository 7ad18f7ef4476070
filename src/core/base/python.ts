/**
 * Python source text from values: literals for model.py's constructor
 * arguments, names that are valid identifiers, strings that cannot break out
 * of their quotes (documents are untrusted: a node id or a param string is
 * data in the exported code, never code).
 */

/** A Python value written into model.py (numbers, strings, booleans, None, lists, tuples of those). */
export type PyValue = number | string | boolean | null | readonly PyValue[] | { tuple: readonly PyValue[] };

/** A Python string literal: single-quoted, every character outside printable ASCII escaped. */
export function pyString(text: string): string {
  let out = "'";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}'`;
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (!Number.isFinite(n)) return n > 0 ? "float('inf')" : "float('-inf')";
  return String(n);
}

/** A Python literal for a value. */
export function pyLiteral(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(', ')}]`;
  const items = (value as { tuple: readonly PyValue[] }).tuple;
  return items.length === 1 ? `(${pyLiteral(items[0]!)},)` : `(${items.map(pyLiteral).join(', ')})`;
}

/** Keyword arguments: `a=1, b='x'`. */
export function pyKeywords(args: Readonly<Record<string, PyValue>>): string {
  return Object.entries(args)
    .map(([name, value]) => `${name}=${pyLiteral(value)}`)
    .join(', ');
}

/** camelCase → snake_case (useBias → use_bias), for params passed to Python. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type self torch nn F gc ctx batch'.split(' '),
);

/** A Python identifier for a document id (ids are letters, digits, '_' and '-'): '-' becomes '_', a leading digit or a keyword gets a prefix. */
export function pyIdentifier(id: string, prefix = 'n_'): string {
  let name = id.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(name) || KEYWORDS.has(name) || name === '') name = `${prefix}${name}`;
  return name;
}
