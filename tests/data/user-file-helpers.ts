/** Builds the user's own files for the data tests: text as bytes, tiny PNGs, zips. */
import { encode } from 'fast-png';
import { zipSync } from 'fflate';
import type { ReadUserFile, UserFile } from '../../src/core/data/user-file.ts';
import { USER_DATA_LIMITS } from '../../src/core/data/user-limits.ts';
import { chunkBytes, readPngChunks } from '../../src/core/graph/share.ts';
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

/** A PNG made of the given chunks (after the signature), each with its CRC. */
export function pngFromChunks(chunks: readonly [string, Uint8Array][]): Uint8Array {
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks.map(([type, data]) => chunkBytes(type, data))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An IHDR chunk's data: size, bit depth, colour type and interlace method. */
export function ihdr(width: number, height: number, { depth = 8, colourType = 0, interlace = 0 } = {}): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([depth, colourType, 0, 0, interlace], 8);
  return data;
}

/** The chunks of a PNG, as [type, data] pairs. */
export function pngChunks(bytes: Uint8Array): [string, Uint8Array][] {
  const read = readPngChunks(bytes);
  if (!read.ok) throw new Error(read.error.message);
  return read.chunks.map((c) => [c.type, c.data]);
}

/**
 * Overwrites the sizes a zip claims for its entry `name`: in the central
 * directory (offset 24 of its record) and in the local header (offset 22).
 */
export function claimZipSize(file: Uint8Array, name: string, size: number): void {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const encoded = new TextEncoder().encode(name);
  const named = (nameAt: number) => encoded.every((b, i) => file[nameAt + i] === b);
  for (let i = 0; i + 46 < file.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x02014b50 && named(i + 46)) view.setUint32(i + 24, size, true);
    if (sig === 0x04034b50 && named(i + 30)) view.setUint32(i + 22, size, true);
  }
}

/** Runs `fn` with some user data limits lowered, so a small file can reach them; restores them after. */
export function withLimits<T>(overrides: Partial<Record<keyof typeof USER_DATA_LIMITS, number>>, fn: () => T): T {
  const limits = USER_DATA_LIMITS as unknown as Record<string, number>;
  const saved = { ...limits };
  Object.assign(limits, overrides);
  try {
    return fn();
  } finally {
    Object.assign(limits, saved);
  }
}
