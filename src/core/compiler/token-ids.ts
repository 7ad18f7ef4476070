/**
 * Token ids against the tables they index. An Embedding of 14 rows fed the
 * names dataset's 28 ids, or a classifier's 5 scores asked for a label of
 * 9, fail only inside a training step; here they are found before it. Each
 * node kind says what its token ports carry or accept (`tokenIds` in its
 * definition); ranges are known for the datasets shipped with GenComposer,
 * and labels read from a file of yours are counted when the file is read.
 */
import { diagnostic, type Diagnostic } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';
import type { Analysis } from '../shapes/analyze.ts';

export function tokenIdDiagnostics(analysis: Analysis): Diagnostic[] {
  const ranges = new Map<string, { count: number; from: string }>();
  for (const op of analysis.ops) {
    const produces = op.def.tokenIds?.produces?.(op.params);
    for (const [port, count] of Object.entries(produces ?? {})) {
      const key = Object.hasOwn(op.outputs, port) ? op.outputs[port] : undefined;
      if (key !== undefined) ranges.set(key, { count, from: `${op.origin.node}.${port}` });
    }
  }
  const out = new Map<string, Diagnostic>();
  for (const op of analysis.ops) {
    const indexes = op.def.tokenIds?.indexes;
    if (!indexes) continue;
    const shapes: Record<string, Shape> = Object.create(null);
    for (const [port, key] of Object.entries(op.inputs)) {
      const value = analysis.values.get(key);
      if (value) shapes[port] = value.shape;
    }
    for (const { port, limit, what } of indexes(op.params, shapes)) {
      const range = Object.hasOwn(op.inputs, port) ? ranges.get(op.inputs[port]!) : undefined;
      if (!range || range.count <= limit) continue;
      const d = diagnostic('GC116', { port, max: range.count - 1, from: range.from, what }, { node: op.origin.node, port, ...(op.origin.module ? { module: op.origin.module } : {}) });
      // Module placements repeat their ops: one report per document node.
      out.set(`${d.module ?? ''}/${d.node}/${d.message}`, d);
    }
  }
  return [...out.values()];
}
