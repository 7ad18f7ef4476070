/**
 * Where the CLI finds the user files Data nodes name: beside the graph file
 * (a name is a path relative to the graph's folder), or wherever
 * `--data NAME=PATH` points. A folder is read as a folder of images.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { inert } from '../core/base/text.ts';
import { UserDataError, UserFileMissingError, type ReadUserFile, type UserFile, type UserFolderEntry } from '../core/data/user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from '../core/data/user-limits.ts';
import { UsageError } from './args.ts';
import { InputFileError, readInputFile } from './read-file.ts';

/** `--data NAME=PATH` flags as a map from file name to path. */
export function parseDataFlags(flags: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const flag of flags ?? []) {
    const at = flag.indexOf('=');
    if (at <= 0 || at === flag.length - 1) throw new UsageError(inert`--data takes NAME=PATH (the file name a Data node uses, and where to read it), not "${flag}"`);
    out.set(flag.slice(0, at), flag.slice(at + 1));
  }
  return out;
}

async function listFolder(root: string, name: string): Promise<UserFolderEntry[]> {
  const entries: UserFolderEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const item of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, item.name);
      if (item.isDirectory()) await walk(full);
      else if (item.isFile()) {
        if (entries.length >= USER_DATA_LIMITS.entries) throw new UserDataError(`${name} holds more than ${USER_DATA_LIMITS.entries.toLocaleString('en-US')} files, the limit`);
        const { size } = await stat(full);
        const path = relative(root, full).split(sep).join('/');
        // The limits were checked against this size: a file that has grown since is refused, not read whole.
        entries.push({ path, size, read: () => readUserBytes(full, `${name}/${path}`, size) });
      }
    }
  };
  await walk(root);
  return entries;
}

/** Reads user files for the graph at `graphFile`; `overrides` maps names to paths (from --data). */
export function userFileReader(graphFile: string, overrides: ReadonlyMap<string, string> = new Map()): ReadUserFile {
  const base = dirname(resolve(graphFile));
  return async (name: string): Promise<UserFile> => {
    const path = overrides.has(name) ? resolve(overrides.get(name)!) : join(base, name);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UserFileMissingError(`the data file "${name}" is missing (looked for ${path}); put it beside the graph file, or pass --data ${name}=PATH`);
      }
      throw new UserDataError(`cannot read the data file "${name}" at ${path}: ${(error as Error).message}`);
    }
    if (info.isDirectory()) return { kind: 'folder', entries: await listFolder(path, name) };
    if (info.size > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${name} is ${formatBytes(info.size)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
    return readUserBytes(path, name, USER_DATA_LIMITS.fileBytes);
  };
}

/** A user file through the bounded reader (plain files only, at most `maxBytes`); problems are UserDataErrors naming it. */
async function readUserBytes(path: string, name: string, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readInputFile(path, { maxBytes, what: 'data file' });
  } catch (error) {
    if (error instanceof InputFileError) throw new UserDataError(`cannot read the data file "${name}" at ${path}: ${error.reason}`);
    throw error;
  }
}
