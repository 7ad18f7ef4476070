import { describe, expect, it } from 'vitest';
import { parseTextLines } from '../../src/core/data/text-lines.ts';
import { UserDataError } from '../../src/core/data/user-file.ts';
import { USER_DATA_LIMITS } from '../../src/core/data/user-limits.ts';
import { bytes } from './user-file-helpers.ts';

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
