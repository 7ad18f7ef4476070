/**
 * The one way the CLI reads a file someone handed it: checked before it is
 * read (a plain file, no larger than the limit), then read with a loop that
 * never takes more than the limit + 1 bytes, so a device, a FIFO, a file that
 * grows while read or a /proc file that reports size 0 cannot exhaust memory.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { formatBytes } from '../core/data/user-limits.ts';
import { LIMITS } from '../core/graph/limits.ts';
import { diagnostic, type Diagnostic } from '../core/base/diagnostics.ts';
import { inert } from '../core/base/text.ts';
import { CliError } from './errors.ts';

export interface ReadInputOptions {
  /** The most bytes the file may hold. */
  maxBytes: number;
  /** What the file is, for messages: "graph file", "checkpoint weights". */
  what: string;
}

/** A file that could not be read: a CliError (exit 2) that also keeps the reason without the path. */
export class InputFileError extends CliError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly what: string,
    /** The file's size, when it was refused for its size as stat gave it. */
    readonly size?: number,
  ) {
    super(inert`${path}: cannot read the ${what}: ${reason}`, 2);
  }
}

const CHUNK = 1 << 20;

function kindOf(info: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a pipe (FIFO)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'ELOOP') return 'too many symbolic links';
  return (error as Error).message;
}

/** Reads a plain file of at most `maxBytes`; anything else is an InputFileError (exit 2). */
export async function readInputFile(path: string, { maxBytes, what }: ReadInputOptions): Promise<Uint8Array> {
  const fail = (reason: string, size?: number): InputFileError => new InputFileError(path, reason, what, size);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever; a plain file ignores it.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw fail(reasonOf(error));
  }
  try {
    // fstat on the open handle: the file checked is the file read.
    const info = await handle.stat();
    if (!info.isFile()) throw fail(`it is ${kindOf(info)}, not a regular file`);
    const limit = `the limit is ${formatBytes(maxBytes)}`;
    if (info.size > maxBytes) throw fail(`it is ${formatBytes(info.size)}; ${limit}`, info.size);
    // A file that grows while read, or reports size 0, is read only to one byte past the limit.
    const tooBig = (): InputFileError => fail(`it is over ${formatBytes(maxBytes)}; ${limit}`);
    // Sized by what stat says; more is read only for a file that grows or reports size 0, and never past the limit + 1.
    let buffer = new Uint8Array(Math.min(info.size, maxBytes));
    let length = 0;
    for (;;) {
      if (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        continue;
      }
      const scratch = new Uint8Array(Math.min(CHUNK, maxBytes + 1 - length));
      const { bytesRead } = await handle.read(scratch, 0, scratch.length, null);
      if (bytesRead === 0) break;
      if (length + bytesRead > maxBytes) throw tooBig();
      const grown = new Uint8Array(Math.min(Math.max(2 * length, length + bytesRead, CHUNK), maxBytes));
      grown.set(buffer.subarray(0, length));
      grown.set(scratch.subarray(0, bytesRead), length);
      buffer = grown;
      length += bytesRead;
    }
    return length === buffer.length ? buffer : buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw fail(reasonOf(error));
  } finally {
    await handle.close();
  }
}

/** Problems that mean a graph file could not be read as JSON at all (exit 2). */
export const UNREADABLE: ReadonlySet<string> = new Set(['GC001', 'GC002', 'GC009', 'GC010']);

/**
 * A graph file's bytes (readInputFile at the document size limit), or the
 * diagnostic that says why not: GC001 for a file too large by its size,
 * GC009 for anything else.
 */
export async function readGraphFile(file: string): Promise<Uint8Array | Diagnostic> {
  try {
    return await readInputFile(file, { maxBytes: LIMITS.fileBytes, what: 'graph file' });
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    return error.size !== undefined ? diagnostic('GC001', { size: error.size, limit: LIMITS.fileBytes }) : diagnostic('GC009', { reason: error.reason });
  }
}
