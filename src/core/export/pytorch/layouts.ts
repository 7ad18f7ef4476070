/**
 * Weights between GenComposer's layouts and PyTorch's, both ways: a Dense
 * kernel [in, out] is nn.Linear's weight [out, in]; conv kernels
 * [kh, kw, in, out] and transposed-conv kernels [kh, kw, out, in] are
 * PyTorch's [out, in, kh, kw] and [in, out, kh, kw] (the same permutation,
 * moving the last two axes first).
 */
import type { TorchLayout } from '../../nodes/types.ts';

/** The shape a variable of GenComposer shape `shape` has in PyTorch. */
export function torchShape(shape: readonly number[], layout: TorchLayout): number[] {
  if (layout === 'linear') return [shape[1]!, shape[0]!];
  if (layout === 'conv' || layout === 'convT') return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  return [...shape];
}

/** Values of a variable (GenComposer layout, row-major) in PyTorch's layout. */
export function toTorchLayout(values: Float32Array, shape: readonly number[], layout: TorchLayout): Float32Array {
  if (layout === 'same') return values;
  if (layout === 'linear') {
    const [rows, cols] = [shape[0]!, shape[1]!];
    const out = new Float32Array(values.length);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j]!;
    return out;
  }
  const [kh, kw, a, b] = [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
  const out = new Float32Array(values.length);
  // [kh, kw, a, b] → [b, a, kh, kw]
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) out[((o * a + i) * kh + y) * kw + x] = values[((y * kw + x) * a + i) * b + o]!;
  return out;
}

/** Values in PyTorch's layout back in GenComposer's (`shape` is GenComposer's). */
export function fromTorchLayout(values: Float32Array, shape: readonly number[], layout: TorchLayout): Float32Array {
  if (layout === 'same') return values;
  if (layout === 'linear') {
    const [rows, cols] = [shape[0]!, shape[1]!];
    const out = new Float32Array(values.length);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = values[j * rows + i]!;
    return out;
  }
  const [kh, kw, a, b] = [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) out[((y * kw + x) * a + i) * b + o] = values[((o * a + i) * kh + y) * kw + x]!;
  return out;
}
