/**
 * Where bytes stop being UTF-8: graph files and the user's text files name
 * the byte offset of the first bad sequence, so a person can find it.
 */

export interface Utf8Problem {
  /** Offset of the first byte of the bad sequence, counting from 0. */
  offset: number;
  reason: string;
}

const hex = (b: number) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * The first place `bytes` is not well-formed UTF-8 (the rules TextDecoder's
 * fatal mode applies), or undefined when all of it is.
 */
export function findInvalidUtf8(bytes: Uint8Array): Utf8Problem | undefined {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b >= 0x80 && b < 0xc0) return { offset: i, reason: `the continuation byte ${hex(b)} has no lead byte before it` };
    if (b < 0xc2 || b > 0xf4) return { offset: i, reason: `the byte ${hex(b)} never occurs in UTF-8` };
    const length = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    // The second byte's range is narrower after some lead bytes: no overlong forms, surrogates or code points past U+10FFFF.
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      if (i + k >= bytes.length) return { offset: i, reason: `the sequence starting ${hex(b)} is cut off by the end of the file` };
      const c = bytes[i + k]!;
      const [lo, hi] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (c < lo || c > hi) {
        const what = c >= 0x80 && c <= 0xbf ? (b === 0xed ? 'a UTF-16 surrogate' : b === 0xf4 ? 'a code point past U+10FFFF' : 'an overlong form') : 'an incomplete sequence';
        return { offset: i, reason: `${hex(b)} followed by ${hex(c)} is ${what}` };
      }
    }
    i += length;
  }
  return undefined;
}

// Small pieces: their strings are young garbage, collected at once, rather than megabytes kept until a full collection.
const STEP = 1 << 16;

/**
 * The first problem in `bytes` as UTF-8, checked piece by piece with the
 * native decoder (no string of the whole is kept), then located exactly.
 */
export function utf8Problem(bytes: Uint8Array): Utf8Problem | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let at = 0; at < bytes.length; at += STEP) {
    try {
      decoder.decode(bytes.subarray(at, at + STEP), { stream: at + STEP < bytes.length });
    } catch {
      // A sequence may have started up to 3 bytes before this piece.
      const from = Math.max(0, at - 3);
      const problem = findInvalidUtf8(bytes.subarray(from));
      return problem && { offset: from + problem.offset, reason: problem.reason };
    }
  }
  return undefined;
}
