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
import { decodeUtf8, UserDataError } from './user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from './user-limits.ts';

export interface TextLines {
  /** The examples, lowercase a-z, in file order. */
  lines: string[];
  longest: number;
}

export function parseTextLines(bytes: Uint8Array, fileName: string, context: number): TextLines {
  if (bytes.length > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${fileName} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
  const text = decodeUtf8(bytes, fileName);
  const lines: string[] = [];
  let longest = 0;
  let lineNumber = 0;
  for (const raw of text.split(/\r\n|\n|\r/)) {
    lineNumber++;
    if (raw.length > USER_DATA_LIMITS.lineLength) throw new UserDataError(`${fileName} line ${lineNumber} has ${raw.length} characters; the limit is ${USER_DATA_LIMITS.lineLength}`);
    const lead = raw.length - raw.trimStart().length;
    const line = raw.trim().toLowerCase();
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
    if (lines.length >= USER_DATA_LIMITS.lines) throw new UserDataError(`${fileName} has more than ${USER_DATA_LIMITS.lines.toLocaleString('en-US')} lines, the limit`);
    lines.push(line);
    longest = Math.max(longest, line.length);
  }
  if (lines.length === 0) throw new UserDataError(`${fileName} has no lines of text`);
  return { lines, longest };
}
