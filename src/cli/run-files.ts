/**
 * How the CLI writes what a run leaves behind, so that a crash at any moment
 * loses nothing: every file is written to a temporary name in its folder,
 * flushed to disk, then renamed over the old one (a rename within a folder
 * is atomic), and the folder itself is flushed so the rename survives.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { inert } from '../core/base/text.ts';
import { CliError } from './errors.ts';

let counter = 0;

/** A name beside `path` that no other writer uses; `.tmp` names are cleaned up by the writers. */
export function temporaryName(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}-${counter}.tmp`);
}

function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot flush a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replaces `path` with `data`: readers see the old file or the new one, never a part. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = temporaryName(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  fsyncFolder(dirname(path));
}

/**
 * `mkdir -p`, one level at a time. Node 20's own recursive mkdir spins
 * forever where the kernel answers ENOENT for an existing parent (/proc).
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      if (statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw error;
      missing.push(at);
    }
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw error;
    }
  }
}

/**
 * Makes sure `dir` is a folder this process can write into, before any
 * work starts: a path under /proc, an existing file or a read-only place
 * fails at once (exit 2) instead of after an hour of training.
 */
export function prepareOutputFolder(dir: string, flag = '--out'): void {
  try {
    makeFolders(dir);
    const probe = temporaryName(join(dir, 'write-test'));
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason =
      e.code === 'EEXIST' || e.code === 'ENOTDIR' ? 'a file is in the way (it must be a folder)' : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? 'no permission to write there' : e.code === 'ENOENT' ? 'it cannot be created there' : e.message;
    throw new CliError(inert`${flag} ${dir}: cannot write the run there: ${reason}`, 2);
  }
}

/** prepareOutputFolder for a file named by --out: a folder at that path is refused too, with `hint` saying what to name instead. */
export function prepareOutputFile(path: string, hint: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(inert`--out ${path}: a folder is in the way (${hint})`, 2);
  prepareOutputFolder(dirname(path));
}
