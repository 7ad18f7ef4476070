/**
 * Weights back from PyTorch: a safetensors file with model.py's names (what
 * train.py's checkpoints and `save_weights` write) becomes the graph's
 * variables in GenComposer's layouts. The file is untrusted: every tensor
 * must be there with its dtype and shape, and nothing else may be.
 */
import type { NamedTensor } from '../safetensors.ts';
import { fromTorchLayout, torchShape } from './layouts.ts';
import type { TorchParameter } from './model.ts';

export class WeightsImportError extends Error {}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((n, i) => n === b[i]);

/** Variable key → values (GenComposer layout) from the tensors of a safetensors file; throws WeightsImportError naming the first problem. */
export function weightsFromTorch(parameters: readonly TorchParameter[], tensors: readonly NamedTensor[], what: string): Map<string, Float32Array> {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out = new Map<string, Float32Array>();
  for (const p of parameters) {
    const t = byName.get(p.name);
    if (!t) throw new WeightsImportError(`${what} has no tensor "${p.name}" (the weights of "${p.key}"): was it written for another graph?`);
    const expected = torchShape(p.shape, p.layout);
    if (t.dtype !== 'F32') throw new WeightsImportError(`${what}: tensor "${p.name}" is ${t.dtype}; weights are F32`);
    if (!sameShape(t.shape, expected)) throw new WeightsImportError(`${what}: tensor "${p.name}" has shape [${t.shape.join(', ')}]; the graph's parameter has [${expected.join(', ')}]`);
    out.set(p.key, fromTorchLayout(t.data as Float32Array, p.shape, p.layout));
    byName.delete(p.name);
  }
  if (byName.size > 0) {
    const names = [...byName.keys()];
    throw new WeightsImportError(`${what} holds tensors this graph does not have: ${names.slice(0, 3).map((n) => `"${n}"`).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`);
  }
  return out;
}
