/** Builds the user's own files for the data tests: text as bytes, tiny PNGs, zips. */
import { encode } from 'fast-png';
import { zipSync } from 'fflate';
import type { ReadUserFile, UserFile } from '../../src/core/data/user-file.ts';
import { UserFileMissingError } from '../../src/core/data/user-file.ts';

export const bytes = (text: string) => new TextEncoder().encode(text);

/** A PNG of `width` x `height` whose samples are `values` (row-major, channels last). */
export function png(width: number, height: number, values: readonly number[], channels = 1, depth: 8 | 16 = 8): Uint8Array {
  const data = depth === 16 ? Uint16Array.from(values) : Uint8Array.from(values);
  return encode({ width, height, data, channels, depth });
}

export function zip(files: Record<string, Uint8Array>): Uint8Array {
  return zipSync(files);
}

/** A readUserFile over a fixed set of named files. */
export function filesReader(files: Record<string, UserFile>): ReadUserFile {
  return async (name) => {
    const file = files[name];
    if (!file) throw new UserFileMissingError(`the data file "${name}" is missing`);
    return file;
  };
}
