/**
 * Text files of the user's own, one example per line, for character-level
 * models: each line is trimmed and lowercased, blank lines are skipped, and
 * every other character must be a letter a-z (an error names the line and
 * column otherwise). Lines become examples exactly like the names dataset
 * (makemore's context windows): [1, letters..., 1] padded with 0, x the first
 * `context` tokens and y the next character at each position. A line longer
 * than context - 1 letters is an error rather than silently dropped, so the
 * declared context is checked against the file. Duplicates are kept: they
 * weight the distribution as the file does.
 */
import { utf8Problem } from '../base/utf8.ts';
import { UserDataError } from './user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from './user-limits.ts';

export interface TextLines {
  /** The examples, lowercase a-z, in file order. */
  lines: string[];
  longest: number;
}

/** The bytes were checked to be UTF-8 first. */
const utf8 = new TextDecoder('utf-8');

/** UTF-16 length of UTF-8 bytes (what a string of them would measure), without decoding them. */
function utf16Length(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x80 || b >= 0xc0) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * The file's examples, scanned line by line over its bytes: no string of
 * the whole file, and no list of its lines, is made. What the lines will
 * take once tokenised (lines · (context + 1) tokens) is counted as they are
 * accepted, and the file is refused as soon as it passes the limit.
 */
export function parseTextLines(bytes: Uint8Array, fileName: string, context: number): TextLines {
  if (bytes.length > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${fileName} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
  const problem = utf8Problem(bytes);
  if (problem) throw new UserDataError(`${fileName} is not UTF-8 text: ${problem.reason}, at byte offset ${problem.offset}`);
  const maxLines = Math.min(USER_DATA_LIMITS.lines, Math.floor(USER_DATA_LIMITS.tokens / (context + 1)));
  const lines: string[] = [];
  let longest = 0;
  let lineNumber = 0;
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start <= bytes.length) {
    let end = start;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    lineNumber++;
    const length = utf16Length(bytes, start, end);
    if (length > USER_DATA_LIMITS.lineLength) throw new UserDataError(`${fileName} line ${lineNumber} has ${length} characters; the limit is ${USER_DATA_LIMITS.lineLength}`);
    const raw = utf8.decode(bytes.subarray(start, end));
    const next = bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? end + 2 : end + 1;
    const lead = raw.length - raw.trimStart().length;
    const line = raw.trim().toLowerCase();
    start = next;
    if (line === '') continue;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (c < 'a' || c > 'z') {
        const shown = c === ' ' ? 'a space' : c === '\t' ? 'a tab' : `"${String.fromCodePoint(line.codePointAt(i)!)}"`;
        throw new UserDataError(`${fileName} line ${lineNumber}, column ${lead + i + 1}: ${shown} is not a letter a-z (the text datasets' vocabulary is a-z only)`);
      }
    }
    if (line.length > context - 1) {
      throw new UserDataError(`${fileName} line ${lineNumber} has ${line.length} letters; a context of ${context} holds at most ${context - 1} (set context to at least ${line.length + 1})`);
    }
    if (lines.length >= maxLines) {
      throw new UserDataError(
        lines.length >= USER_DATA_LIMITS.lines
          ? `${fileName} has more than ${USER_DATA_LIMITS.lines.toLocaleString('en-US')} lines, the limit`
          : `${fileName} has more than ${maxLines.toLocaleString('en-US')} lines: at a context of ${context}, that is more than ${USER_DATA_LIMITS.tokens.toLocaleString('en-US')} tokens (lines × (context + 1)), the limit`,
      );
    }
    lines.push(line);
    longest = Math.max(longest, line.length);
  }
  if (lines.length === 0) throw new UserDataError(`${fileName} has no lines of text`);
  return { lines, longest };
}
