/**
 * One PNG as grey levels 0..255 in the layout a Data node declares
 * (height · width · channels, row-major, channels last). Decoding is fast-png,
 * pure JavaScript, so the browser and Node read images alike. The size in the
 * header is checked before decoding, so a huge image is refused unread.
 * Alpha is dropped; 16-bit samples keep their high byte; 1, 2 and 4-bit
 * greys are scaled to 0..255; palettes are looked up; a grey image is
 * repeated into three channels when the node declares RGB, while a colour
 * image for a grey node is an error (converting would hide a mistake).
 */
import { decode, type DecodedPng } from 'fast-png';
import { UserDataError } from './user-file.ts';

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
  let png: DecodedPng;
  try {
    png = decode(bytes);
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
