/**
 * The safetensors format (Hugging Face): an 8-byte little-endian length N,
 * N bytes of JSON naming each tensor's dtype, shape and byte range, then the
 * raw little-endian bytes of every tensor. PyTorch, JAX and most model hubs
 * read it, and reading it executes nothing (unlike a pickle).
 *
 * The writer lays tensors out in name order, each range right after the
 * last, and pads the header with spaces to a multiple of 8 bytes so every
 * tensor starts aligned. The reader treats a file as untrusted: the header
 * length, JSON, dtypes, shapes and ranges are all checked (ranges must tile
 * the data exactly, as the format requires) before any tensor is read.
 */

export type SafetensorsDtype = 'F32' | 'I32';

export interface NamedTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: Float32Array | Int32Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, I32: 4 };
/** A header larger than this is not one we wrote or would read (the reference implementation's limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 8;
const METADATA = '__metadata__';

export class SafetensorsError extends Error {}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Encodes tensors (and optional string metadata) as one safetensors file. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA] = { ...metadata };
  let offset = 0;
  for (const t of sorted) {
    if (t.name === METADATA || Object.hasOwn(header, t.name)) throw new SafetensorsError(`tensor name "${t.name}" is reserved or used twice`);
    if (t.data.length !== elements(t.shape)) throw new SafetensorsError(`tensor "${t.name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    const size = t.data.length * BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const t of sorted) {
    // Values are written one by one as little-endian, whatever the machine's order.
    for (let i = 0; i < t.data.length; i++, at += 4) {
      if (t.dtype === 'F32') view.setFloat32(at, t.data[i]!, true);
      else view.setInt32(at, t.data[i]!, true);
    }
  }
  return out;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function isEntry(value: unknown): value is HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const offsets = v.data_offsets;
  return (
    typeof v.dtype === 'string' &&
    Array.isArray(v.shape) &&
    v.shape.length <= MAX_RANK &&
    v.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) &&
    Array.isArray(offsets) &&
    offsets.length === 2 &&
    offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
  );
}

/** Decodes a safetensors file, checking it throughout; `what` names it in errors (a file name). */
export function decodeSafetensors(bytes: Uint8Array, what = 'the file'): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  const fail = (reason: string): never => {
    throw new SafetensorsError(`${what}: ${reason}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getBigUint64(0, true);
  if (headerBytes > BigInt(Math.min(SAFETENSORS_MAX_HEADER_BYTES, bytes.length - 8))) fail(`its header claims ${headerBytes} bytes, more than the file holds or ${SAFETENSORS_MAX_HEADER_BYTES} allows`);
  const start = 8 + Number(headerBytes);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start)));
  } catch {
    return fail('its header is not UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('its header is not a JSON object');
  const metadata: Record<string, string> = Object.create(null);
  const entries: [string, HeaderEntry][] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('its __metadata__ is not an object');
      for (const [key, text] of Object.entries(value as object)) {
        if (typeof text !== 'string') fail(`its __metadata__ "${key}" is not a string`);
        metadata[key] = text as string;
      }
      continue;
    }
    if (!isEntry(value)) return fail(`tensor "${name}" needs a dtype, a shape of at most ${MAX_RANK} sizes and two data offsets`);
    entries.push([name, value]);
  }
  const dataLength = bytes.length - start;
  // The ranges must tile the data exactly: no gap, no overlap, nothing left over.
  const byOffset = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let expected = 0;
  for (const [name, entry] of byOffset) {
    const [begin, end] = entry.data_offsets;
    if (begin !== expected) fail(`tensor "${name}" starts at byte ${begin} where ${expected} was due (ranges must follow one another)`);
    if (end < begin || end > dataLength) fail(`tensor "${name}" ends at byte ${end}, outside the ${dataLength} bytes of data`);
    expected = end;
  }
  if (expected !== dataLength) fail(`its tensors cover ${expected} of the ${dataLength} bytes of data`);
  const tensors = entries.map(([name, entry]): NamedTensor => {
    if (entry.dtype !== 'F32' && entry.dtype !== 'I32') return fail(`tensor "${name}" has dtype ${entry.dtype}; F32 and I32 are read`);
    const dtype = entry.dtype;
    const count = elements(entry.shape);
    const [begin, end] = entry.data_offsets;
    if (count * BYTES[dtype] !== end - begin) fail(`tensor "${name}" of shape [${entry.shape.join(', ')}] needs ${count * BYTES[dtype]} bytes, its range holds ${end - begin}`);
    const data = dtype === 'F32' ? new Float32Array(count) : new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const at = start + begin + 4 * i;
      data[i] = dtype === 'F32' ? view.getFloat32(at, true) : view.getInt32(at, true);
    }
    return { name, dtype, shape: entry.shape, data };
  });
  return { tensors, metadata };
}
