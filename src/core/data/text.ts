/**
 * Characters as tokens, for the text datasets (see CHAR_VOCAB): 0 pads,
 * 1 ('.') marks the start and the end of a word, 2..27 are 'a'..'z'.
 */
import { CHAR_VOCAB } from './datasets.ts';

export const PAD = 0;
export const BOUNDARY = 1;
const FIRST_LETTER = 2;
const A = 'a'.charCodeAt(0);

/** The letters of a lowercase a-z word as tokens (no boundary tokens). */
export function letterTokens(word: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    const t = word.charCodeAt(i) - A;
    if (t < 0 || t >= 26) throw new Error(`"${word}" has a character outside a-z`);
    out.push(FIRST_LETTER + t);
  }
  return out;
}

/**
 * Tokens back to text: one leading start token is skipped, and reading stops
 * at the first end token or padding; a token outside the vocabulary reads '?'.
 */
export function decodeTokens(tokens: readonly number[]): string {
  let text = '';
  let i = tokens[0] === BOUNDARY ? 1 : 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === BOUNDARY || t === PAD) break;
    text += Number.isInteger(t) && t > BOUNDARY && t < CHAR_VOCAB.length ? CHAR_VOCAB[t] : '?';
  }
  return text;
}

/** Lowercase words of letters a-z, for the names asset. */
export function normalizeNames(raw: Iterable<string>): { names: string[]; rejected: string[] } {
  const kept = new Set<string>();
  const rejected: string[] = [];
  for (const name of raw) {
    const lower = name.trim().toLowerCase();
    if (/^[a-z]+$/.test(lower)) kept.add(lower);
    else rejected.push(name);
  }
  return { names: [...kept].sort(), rejected };
}

/** public/data/names.txt: one name per line. */
export function parseNamesText(text: string): string[] {
  return normalizeNames(text.split('\n').filter((line) => line.trim() !== '')).names;
}
