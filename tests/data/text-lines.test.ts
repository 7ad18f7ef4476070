import { describe, expect, it } from 'vitest';
import { parseTextLines } from '../../src/core/data/text-lines.ts';
import { UserDataError } from '../../src/core/data/user-file.ts';
import { USER_DATA_LIMITS } from '../../src/core/data/user-limits.ts';
import { bytes, withLimits } from './user-file-helpers.ts';

const lines = (text: string, context = 16) => parseTextLines(bytes(text), 'words.txt', context);

describe('text files, one example per line', () => {
  it('trims, lowercases and skips blank lines', () => {
    expect(lines('  Anna\r\n\nbob  \n\n\tCLEO\n')).toEqual({ lines: ['anna', 'bob', 'cleo'], longest: 4 });
    expect(lines('a\na\n').lines).toEqual(['a', 'a']);
  });

  it('names the line and column of a character outside a-z', () => {
    expect(() => lines('anna\nmary jane\n')).toThrow('words.txt line 2, column 5: a space is not a letter a-z');
    expect(() => lines('ok\n  zoë\n')).toThrow('words.txt line 2, column 5: "ë" is not a letter a-z');
    expect(() => lines('x1\n')).toThrow('words.txt line 1, column 2: "1" is not a letter a-z');
  });

  it('checks every line fits the declared context', () => {
    expect(lines('abcdefg', 8).longest).toBe(7);
    expect(() => lines('ab\nabcdefgh\n', 8)).toThrow('words.txt line 2 has 8 letters; a context of 8 holds at most 7 (set context to at least 9)');
  });

  it('refuses empty files, non-UTF-8 bytes and overlong lines', () => {
    expect(() => lines('\n \n')).toThrow('words.txt has no lines of text');
    expect(() => parseTextLines(new Uint8Array([0x61, 0xc3]), 'bad.txt', 16)).toThrow('bad.txt is not UTF-8 text');
    const long = 'a'.repeat(USER_DATA_LIMITS.lineLength + 1);
    expect(() => lines(`ok\n${long}\n`, 1024)).toThrow(`words.txt line 2 has ${USER_DATA_LIMITS.lineLength + 1} characters; the limit is ${USER_DATA_LIMITS.lineLength}`);
    expect(() => lines('é')).toThrow(UserDataError);
  });
});

describe('text files that would take too much memory', () => {
  it('refuses a 50 MB line from its length in bytes, without decoding it', () => {
    const line = new Uint8Array(50 << 20).fill(0x61);
    const start = performance.now();
    expect(() => parseTextLines(line, 'one.txt', 16)).toThrow(`one.txt line 1 has ${50 << 20} characters; the limit is ${USER_DATA_LIMITS.lineLength}`);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('counts characters as a string would, not bytes', () => {
    expect(() => lines('é'.repeat(USER_DATA_LIMITS.lineLength))).toThrow('"é" is not a letter a-z');
    expect(() => lines('é'.repeat(USER_DATA_LIMITS.lineLength + 1))).toThrow(`line 1 has ${USER_DATA_LIMITS.lineLength + 1} characters`);
    expect(() => lines('😀'.repeat(USER_DATA_LIMITS.lineLength / 2 + 1))).toThrow(`line 1 has ${USER_DATA_LIMITS.lineLength + 2} characters`);
  });

  it('refuses lines × (context + 1) tokens past the limit as soon as it is passed', () => {
    // Line 12 would be an error of its own; the limit is met first, at line 11.
    const text = `${'abc\n'.repeat(11)}a1\n`;
    expect(() => withLimits({ tokens: 100 }, () => lines(text, 9))).toThrow('words.txt has more than 10 lines: at a context of 9, that is more than 100 tokens (lines × (context + 1)), the limit');
    expect(withLimits({ tokens: 100 }, () => lines('abc\n'.repeat(10), 9)).lines).toHaveLength(10);
  });

  it('names the byte offset of bytes that are not UTF-8, and drops a BOM', () => {
    expect(() => parseTextLines(Uint8Array.from([...bytes('ok\nab'), 0xc3]), 'bad.txt', 16)).toThrow('bad.txt is not UTF-8 text: the sequence starting 0xC3 is cut off by the end of the file, at byte offset 5');
    expect(() => parseTextLines(Uint8Array.from([...bytes('ok\n'), 0xc3, 0x0a, 0x61]), 'bad.txt', 16)).toThrow('0xC3 followed by 0x0A is an incomplete sequence, at byte offset 3');
    expect(parseTextLines(Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes('Anna\r\nbob')]), 'bom.txt', 16).lines).toEqual(['anna', 'bob']);
    // The file is checked in pieces: a character across a boundary is fine, a bad one is found where it is.
    const across = new Uint8Array((1 << 20) + 2).fill(0x0a);
    across.set([0xc3, 0xa9], (1 << 20) - 1);
    expect(() => parseTextLines(across, 'é.txt', 16)).toThrow('é.txt line 1048576, column 1: "é" is not a letter a-z');
    across.set([0xc3, 0x28], (1 << 20) - 1);
    expect(() => parseTextLines(across, 'bad.txt', 16)).toThrow(`0xC3 followed by 0x28 is an incomplete sequence, at byte offset ${(1 << 20) - 1}`);
  });
});
