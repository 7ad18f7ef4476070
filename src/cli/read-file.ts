/**
 * The one way the CLI reads a file someone handed it: checked before it is
 * read (a plain file, no larger than the limit), then read with a loop that
 * never takes more than the limit + 1 bytes, so a device, a FIFO, a file that
 * grows while read or a /proc file that reports size 0 cannot exhaust memory.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { formatBytes } from '../core/data/user-limits.ts';
import { CliError } from './setup.ts';

export interface ReadInputOptions {
  /** The most bytes the file may hold. */
  maxBytes: number;
  /** What the file is, for messages: "graph file", "checkpoint weights". */
  what: string;
}

/** A file that could not be read; `reason` is the message without the path. */
export class InputFileError extends CliError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly what: string,
  ) {
    super(`${path}: cannot read the ${what}: ${reason}`, 2);
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
  const fail = (reason: string): InputFileError => new InputFileError(path, reason, what);
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
    const tooBig = (size: number): InputFileError => fail(`it is ${size > maxBytes + 1 ? formatBytes(size) : `over ${formatBytes(maxBytes)}`}; the limit is ${formatBytes(maxBytes)}`);
    if (info.size > maxBytes) throw tooBig(info.size);
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
      if (length + bytesRead > maxBytes) throw tooBig(length + bytesRead);
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
