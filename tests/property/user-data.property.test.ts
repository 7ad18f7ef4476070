/**
 * Random bytes, random text and damaged archives never crash the parsers
 * of the user's own files: each either parses, within the declared shape,
 * or throws a UserDataError.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/core/data/csv.ts';
import { readImages } from '../../src/core/data/images.ts';
import { parseTextLines } from '../../src/core/data/text-lines.ts';
import { UserDataError } from '../../src/core/data/user-file.ts';
import { userFileNameProblem } from '../../src/core/data/user-file-name.ts';
import { png } from '../data/user-file-helpers.ts';

const RUNS = 400;

function typedOutcome<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (error) {
    expect(error).toBeInstanceOf(UserDataError);
    return undefined;
  }
}

async function typedOutcomeAsync<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (error) {
    expect(error).toBeInstanceOf(UserDataError);
    return undefined;
  }
}

/** Text made of what CSV and text files are made of, so parsing gets past the first character. */
const csvish = fc.string({ unit: fc.constantFrom('1', '2', '-', '.', 'e', ',', '"', '\n', '\r', ' ', 'a', 'x', 'é', '\t'), maxLength: 200 });
const encode = (text: string) => new TextEncoder().encode(text);

describe('user file parsers on random input', () => {
  it('CSV: random text or bytes parse within the declared shape, or give a UserDataError', () => {
    fc.assert(
      fc.property(
        fc.oneof(csvish.map(encode), fc.uint8Array({ maxLength: 200 })),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('auto', 'yes', 'no'),
        fc.constantFrom('none', 'first-column', 'last-column'),
        (bytes, columns, header, labels) => {
          const table = typedOutcome(() => parseCsv(bytes, 'r.csv', { columns, header, labels }));
          if (table) {
            expect(table.values.length).toBe(table.rows * columns);
            expect(table.values.every(Number.isFinite)).toBe(true);
            if (labels !== 'none') expect(table.labels!.every((l) => l >= 0 && l < table.classes!.length)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('text: random text or bytes give lines of a-z that fit the context, or a UserDataError', () => {
    fc.assert(
      fc.property(fc.oneof(csvish.map(encode), fc.string({ maxLength: 200 }).map(encode), fc.uint8Array({ maxLength: 200 })), fc.integer({ min: 2, max: 20 }), (bytes, context) => {
        const text = typedOutcome(() => parseTextLines(bytes, 'r.txt', context));
        if (text) for (const line of text.lines) expect(line).toMatch(new RegExp(`^[a-z]{1,${context - 1}}$`));
      }),
      { numRuns: RUNS },
    );
  });

  it('images: random bytes, and archives with damaged PNGs, give images or a UserDataError', async () => {
    const good = png(2, 2, [1, 2, 3, 4]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // A real archive with bytes of a PNG changed or cut.
          fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([at, value, cut]) => {
            const bytes = cut ? good.slice(0, at) : good.slice();
            if (!cut) bytes[at] = value;
            return zipSync({ 'set/a/x.png': bytes, 'set/b/y.png': good });
          }),
          // A real archive with its own bytes changed.
          fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
            const bytes = zipSync({ 'x.png': good });
            bytes[at % bytes.length] = value;
            return bytes;
          }),
        ),
        fc.constantFrom('none', 'folders'),
        fc.constantFrom(1, 3),
        async (file, labels, channels) => {
          const set = await typedOutcomeAsync(() => readImages(file, 'r.zip', { height: 2, width: 2, channels: channels as 1 | 3, labels: labels as 'none' | 'folders' }));
          if (set) expect(set.pixels.length).toBe(set.count * 4 * channels);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('file names: a name that passes stays inside its folder', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '.', '/', '\\', ' ', ':', '-', '~', 'é'), maxLength: 30 }), (name) => {
        if (userFileNameProblem(name) === undefined && name !== '') {
          expect(name.split('/')).not.toContain('..');
          expect(name.startsWith('/') || name.includes('\\') || name.includes(':')).toBe(false);
          expect(name.split('/').every((s) => s !== '' && !s.startsWith('.'))).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
