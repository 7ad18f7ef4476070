/**
 * reverse-strings, a synthetic sequence-to-sequence task: reverse a random
 * string of letters a..z. Lengths are uniform in [3, context - 2], letters
 * uniform; the pool holds REVERSE_POOL_SIZE distinct strings drawn from the
 * graph's seed (repeats are redrawn, so no string is both in training and in
 * validation), and the validation split is carved out of it.
 *
 * For "abc" at context 8:
 *   x   = [a, b, c, 0, 0, 0, 0, 0]   the source, padded with 0
 *   y   = [c, b, a, 1, 0, 0, 0, 0]   the reversed string, the end token 1, padding
 *   yIn = [1, c, b, a, 1, 0, 0, 0]   start token 1, then y shifted right (teacher forcing)
 * (letters stand for their tokens 2..27).
 */
import { CHAR_VOCAB } from './datasets.ts';
import type { DataOptions, DataSource } from './source.ts';
import { checkOptions, range, splitIndices, streamRng, TableSource } from './table.ts';
import { BOUNDARY, decodeTokens, letterTokens } from './text.ts';

/** Distinct strings in the pool, validation included (fewer when the context allows fewer: see reverseStrings). */
export const REVERSE_POOL_SIZE = 20_000;
export const REVERSE_MIN_LENGTH = 3;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * `count` distinct random strings from `seed`. Draws stop after 5 * count
 * tries, which only matters when few strings exist (context 5: 26^3 = 17,576).
 */
export function reverseStrings(seed: number, context: number, count = REVERSE_POOL_SIZE): string[] {
  const maxLength = context - 2;
  if (maxLength < REVERSE_MIN_LENGTH) throw new RangeError(`reverse-strings needs a context of at least ${REVERSE_MIN_LENGTH + 2}, got ${context}`);
  const rng = streamRng(seed, 'pool');
  const pool = new Set<string>();
  for (let tries = 0; pool.size < count && tries < 5 * count; tries++) {
    const length = REVERSE_MIN_LENGTH + rng.integer(maxLength - REVERSE_MIN_LENGTH + 1);
    let s = '';
    for (let i = 0; i < length; i++) s += LETTERS[rng.integer(26)];
    pool.add(s);
  }
  return [...pool];
}

/** Source rows (context tokens) and target rows (context + 1 tokens: yIn is [0, context), y is [1, context + 1)). */
export function reverseRows(strings: readonly string[], context: number): { source: Int32Array; target: Int32Array } {
  const source = new Int32Array(strings.length * context);
  const target = new Int32Array(strings.length * (context + 1));
  strings.forEach((s, i) => {
    const letters = letterTokens(s);
    source.set(letters, i * context);
    target.set([BOUNDARY, ...letters.reverse(), BOUNDARY], i * (context + 1));
  });
  return { source, target };
}

export function openReverseStrings(context: number, options: DataOptions): DataSource {
  checkOptions(options);
  const strings = reverseStrings(options.seed, context);
  const { source, target } = reverseRows(strings, context);
  const split = splitIndices(range(strings.length), options.validationSplit, streamRng(options.seed, 'split'));
  const stride = context + 1;
  return new TableSource(
    {
      dataset: 'reverse-strings',
      columns: {
        x: { dtype: 'int32', shape: [context], values: source },
        yIn: { dtype: 'int32', shape: [context], values: target, stride, offset: 0 },
        y: { dtype: 'int32', shape: [context], values: target, stride, offset: 1 },
      },
      split,
      vocabulary: CHAR_VOCAB,
      decode: decodeTokens,
    },
    options,
  );
}
