/**
 * One PNG as grey levels 0..255 in the layout a Data node declares
 * (height · width · channels, row-major, channels last). Decoding is fast-png,
 * pure JavaScript, so the browser and Node read images alike. The size in the
 * header is checked before decoding, so a huge image is refused unread, and
 * the pixel data is first inflated with a bound of exactly the size that
 * header implies (inflateBounded): a 1 x 1 PNG whose data unpacks to a
 * gigabyte stops a byte past its few bytes. fast-png then decodes a copy
 * holding only the chunks decoding needs (IHDR, PLTE, tRNS, IDAT, IEND), so
 * compressed metadata (iCCP, zTXt, iTXt) is never inflated at all.
 * Alpha is dropped; 16-bit samples keep their high byte; 1, 2 and 4-bit
 * greys are scaled to 0..255; palettes are looked up; a grey image is
 * repeated into three channels when the node declares RGB, while a colour
 * image for a grey node is an error (converting would hide a mistake).
 */
import { decode, type DecodedPng } from 'fast-png';
import { inflateBounded } from '../base/bounded-inflate.ts';
import { UserDataError } from './user-file.ts';
import { formatBytes } from './user-limits.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface ImageShape {
  height: number;
  width: number;
  channels: 1 | 3;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Width and height from the IHDR chunk, which a PNG must start with. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (!isPng(bytes) || bytes.length < 24) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isIhdr = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) === 'IHDR';
  return isIhdr ? { width: view.getUint32(16), height: view.getUint32(20) } : undefined;
}

/** Samples per pixel of each PNG colour type: grey, -, RGB, palette, grey + alpha, -, RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7's seven passes: first column and row, and the steps between. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Bytes of filtered scanlines (a filter byte before each row) an image of this header inflates to. */
export function pngDataBytes(width: number, height: number, channels: number, depth: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * channels * depth) / 8)));
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil(Math.max(0, width - x0) / dx), Math.ceil(Math.max(0, height - y0) / dy)), 0);
}

const readU32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Chunks decoding needs, in a new PNG: the pixel data checked to inflate to exactly what the header implies. */
function boundedPng(bytes: Uint8Array, entry: string): Uint8Array {
  const damaged = (what: string) => new UserDataError(`${entry} is a damaged PNG (${what})`);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  const idat: Uint8Array[] = [];
  let header: Uint8Array | undefined;
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) throw damaged('it ends before its IEND chunk');
    const length = readU32(bytes, at);
    if (length > bytes.length - at - 12) throw damaged(`a chunk at byte ${at} runs past the end of the file`);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const chunk = bytes.subarray(at, at + 12 + length);
    if (type === 'IHDR') {
      if (length !== 13) throw damaged('its header chunk has the wrong length');
      header = chunk.subarray(8, 21);
    }
    if (type === 'IHDR' || type === 'PLTE' || type === 'tRNS') kept.push(chunk);
    if (type === 'IDAT') idat.push(chunk.subarray(8, 8 + length));
    at += 12 + length;
    if (type === 'IEND') {
      kept.push(chunk);
      break;
    }
  }
  if (!header) throw damaged('it has no header chunk');
  const [depth, colourType, compression, filter, interlace] = [header[8]!, header[9]!, header[10]!, header[11]!, header[12]!];
  const channels = CHANNELS[colourType];
  if (channels === undefined || !DEPTHS[colourType]!.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1) {
    throw damaged(`its header declares colour type ${colourType} at ${depth} bits, which PNG does not define`);
  }
  if (idat.length === 0) throw damaged('it has no pixel data');
  const expected = pngDataBytes(readU32(header, 0), readU32(header, 4), channels, depth, interlace === 1);
  const compressed = idat.length === 1 ? idat[0]! : concat(idat);
  const inflated = inflateBounded(compressed, 'zlib', expected);
  if (!inflated.ok) {
    if (inflated.tooLarge) throw new UserDataError(`${entry}: its pixel data unpacks to more than the ${formatBytes(expected)} its header declares; the file is damaged or hostile, so it is not read`);
    throw damaged(`its pixel data does not unpack: ${inflated.reason ?? 'unknown'}`);
  }
  if (inflated.bytes.length < expected) throw damaged('its pixel data is short');
  // One IDAT with all the compressed data; fast-png does not check CRCs, so none are computed.
  const pixels = new Uint8Array(12 + compressed.length);
  new DataView(pixels.buffer).setUint32(0, compressed.length);
  pixels.set([0x49, 0x44, 0x41, 0x54], 4);
  pixels.set(compressed, 8);
  kept.splice(kept.length - 1, 0, pixels);
  return concat(kept);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Sample k of a row of packed samples of `depth` bits, scaled to 0..255 (or the raw index, for palettes). */
function sampleAt(png: DecodedPng, rowStart: number, k: number, scale: boolean): number {
  const { data, depth } = png;
  if (depth === 8) return data[rowStart + k]!;
  if (depth === 16) return data[rowStart + k]! >> 8;
  const bit = k * depth;
  const byte = data[rowStart + (bit >> 3)]!;
  const value = (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  return scale ? Math.round((value * 255) / ((1 << depth) - 1)) : value;
}

/** Writes the image's grey levels into `out` at `offset`; errors name `entry`. */
export function decodePngInto(bytes: Uint8Array, entry: string, shape: ImageShape, out: Uint8Array, offset: number): void {
  const size = pngSize(bytes);
  if (!size) throw new UserDataError(`${entry} is not a PNG image`);
  if (size.width !== shape.width || size.height !== shape.height) {
    throw new UserDataError(`${entry} is ${size.width}x${size.height} (width x height); the Data node declares ${shape.width}x${shape.height}, and every image must have that size`);
  }
  const checked = boundedPng(bytes, entry);
  let png: DecodedPng;
  try {
    png = decode(checked);
  } catch (error) {
    throw new UserDataError(`${entry} is a damaged PNG (${error instanceof Error ? error.message : String(error)})`);
  }
  const palette = png.palette;
  const colour = palette ? palette.some((c) => c[0] !== c[1] || c[1] !== c[2]) : png.channels >= 3;
  if (colour && shape.channels === 1) throw new UserDataError(`${entry} is a colour image; the Data node declares 1 channel (grey): set channels to 3`);
  const { width, height } = shape;
  // Samples per row in the decoded data: sub-byte rows are padded to whole bytes.
  const rowSamples = png.depth < 8 ? Math.ceil((width * png.channels * png.depth) / 8) : width * png.channels;
  if (png.data.length < rowSamples * height) throw new UserDataError(`${entry} is a damaged PNG (its pixel data is short)`);
  let o = offset;
  for (let y = 0; y < height; y++) {
    const rowStart = y * rowSamples;
    for (let x = 0; x < width; x++) {
      if (palette) {
        const colourOf = palette[sampleAt(png, rowStart, x, false)];
        if (!colourOf) throw new UserDataError(`${entry} is a damaged PNG (a pixel points outside its palette)`);
        if (shape.channels === 1) out[o++] = colourOf[0]!;
        else for (let c = 0; c < 3; c++) out[o++] = colourOf[c]!;
      } else if (png.channels >= 3) {
        for (let c = 0; c < 3; c++) out[o++] = sampleAt(png, rowStart, x * png.channels + c, true);
      } else {
        const grey = sampleAt(png, rowStart, x * png.channels, true);
        for (let c = 0; c < shape.channels; c++) out[o++] = grey;
      }
    }
  }
}
