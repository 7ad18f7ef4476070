/** printable: names and file contents cannot forge output or reorder it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inert, printable, printableJson } from '../../src/core/base/text.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { diagnostic } from '../../src/core/base/diagnostics.ts';

describe('printable', () => {
  it('shows controls, escapes, separators and bidi characters as visible escapes', () => {
    expect(printable('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(printable('\x1b[2J\x1b[31mred')).toBe('\\x1b[2J\\x1b[31mred');
    expect(printable('\x00\x07\x7f\x85\x9b')).toBe('\\x00\\x07\\x7f\\x85\\x9b');
    expect(printable('abc\u202edcba\u2066x\u2069\u2028\u2029\u200f')).toBe('abc\\u202edcba\\u2066x\\u2069\\u2028\\u2029\\u200f');
    expect(printable('plain words, ünïcödé, 名前, C:\\path\\x')).toBe('plain words, ünïcödé, 名前, C:\\path\\x');
  });

  it('never leaves a character that moves the cursor or reorders text, and escaping twice changes nothing', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\r', '\x1b', '\u202e', '\u2066', '\x9b', '\u2028', '\\', 'x'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) }), (text) => {
        const out = printable(text);
        expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        expect(printable(out)).toBe(out);
      }),
      { numRuns: 200 },
    );
  });

  it('inert escapes what is interpolated, not the template', () => {
    const name = 'evil\nFILE: ok';
    expect(inert`line one: ${name}\nline two: ${3}`).toBe('line one: evil\\nFILE: ok\nline two: 3');
  });

  it('printableJson keeps the JSON meaning and shows the rest as \\u escapes', () => {
    const value = { name: 'a\u202eb\x85c\u2028', n: 1 };
    const text = printableJson(JSON.stringify(value));
    expect(text).toBe('{"name":"a\\u202eb\\u0085c\\u2028","n":1}');
    expect(JSON.parse(text)).toEqual(value);
    // Its own line breaks (pretty printing) stay line breaks.
    expect(printableJson(JSON.stringify({ a: ['x\n'] }, null, 1))).toBe('{\n "a": [\n  "x\\n"\n ]\n}');
  });

  it('every diagnostic message shows names from the document inert, in the app as on the command line', () => {
    expect(diagnostic('GC101', { kind: 'K\x1b[2J\n\u202e' }).message).toBe('Unknown node kind "K\\x1b[2J\\n\\u202e".');
    const text = JSON.stringify({
      format: 'gencomposer.graph',
      version: 3,
      meta: { name: 'm' },
      nodes: [{ id: 'q', kind: 'Q\r\n\x9b', params: { ['k\x1b']: 1 }, position: { x: 0, y: 0 } }],
      edges: [],
    });
    const loaded = loadText(text);
    if (!loaded.ok) throw new Error('the document should load');
    for (const d of analyze(loaded.document).diagnostics) expect(d.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    const unknownKey = loadText(text.replace('"meta":{"name":"m"}', '"meta":{"name":"m","x\\u001b[2J":1}'));
    expect(unknownKey.ok ? [] : unknownKey.diagnostics.map((d) => d.message)).toEqual(['Unrecognized key: "x\\x1b[2J".']);
  });
});

