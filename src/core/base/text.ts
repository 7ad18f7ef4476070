/**
 * Text from documents and files, made safe to print. A name or a message
 * quoting a file could hold a newline (a forged second line of output), an
 * ANSI escape (clearing the screen, recolouring, moving the cursor) or a
 * bidi override (text that reads differently from what it is). Printed
 * through `printable`, each such character shows as a visible escape.
 *
 * Backslashes are left alone: paths stay readable, and escaping twice
 * changes nothing, so a message can pass through more than one printer.
 */

/** C0 controls, DEL, C1 controls, line and paragraph separators, bidi embeddings, overrides and isolates, marks. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves raw: everything above but the C0 controls (it escapes those in strings; outside, they are its own whitespace). */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control, separator and bidi character shown as an escape (`\n`, `\x1b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}

/** A template tag: the literal parts are kept, every interpolated value goes through `printable`. */
export function inert(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0]!;
  values.forEach((value, i) => (out += printable(String(value)) + strings[i + 1]!));
  return out;
}

/**
 * JSON text that a terminal shows as written: JSON.stringify already escapes
 * C0 controls, but leaves C1 controls, separators and bidi characters raw.
 * They can only occur inside strings, where a `\uXXXX` escape means the same.
 */
export function printableJson(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
