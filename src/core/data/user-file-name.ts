/**
 * The names a Data node may give its user file. A graph is shared and
 * therefore untrusted: the name must not reach outside the folder the files
 * live in (no absolute path, no '..', no hidden files, no backslashes or
 * drive letters), so it is a relative path of plain segments.
 */
const SEGMENT = /^[\p{L}\p{N}_][\p{L}\p{N}_ .()+-]*$/u;
export const USER_FILE_NAME_LENGTH = 200;

/** Why `name` cannot name a user file, or undefined when it can. '' (no file yet) is allowed. */
export function userFileNameProblem(name: string): string | undefined {
  if (name === '') return undefined;
  if (name.length > USER_FILE_NAME_LENGTH) return `a file name has at most ${USER_FILE_NAME_LENGTH} characters`;
  const segments = name.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment.endsWith(' ')) {
      return `"${name}" is not a plain file name: use letters, digits, spaces and . _ - ( ) +, '/' between folders, no leading dot or slash and no ".."`;
    }
  }
  return undefined;
}

/**
 * A usable name for a file the user picked: characters outside the allowed
 * set become '-', and leading dots and signs are dropped ('my data [1].csv' → 'my data -1-.csv').
 */
export function toUserFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const name = base
    .replace(/[^\p{L}\p{N}_ .()+-]/gu, '-')
    .slice(-USER_FILE_NAME_LENGTH)
    .replace(/^[^\p{L}\p{N}_]+/u, '')
    .trimEnd();
  return name === '' ? 'data' : name;
}
