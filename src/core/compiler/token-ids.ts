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

/** How many ids each tokens value can carry (ids 0..count-1) and where that range comes from. */
export function tokenIdRanges(analysis: Pick<Analysis, 'ops'>): Map<string, { count: number; from: string }> {
  const ranges = new Map<string, { count: number; from: string }>();
  // Ops are in execution order, so a range passed through (condition dropout) is known before it is read.
  for (const op of analysis.ops) {
    const ids = op.def.tokenIds;
    const produces = ids?.produces?.(op.params) ?? {};
    const passes = ids?.passes?.(op.params) ?? {};
    for (const [port, key] of Object.entries(op.outputs)) {
      const own = Object.hasOwn(produces, port) ? produces[port]! : undefined;
      const passedFrom = Object.hasOwn(passes, port) && Object.hasOwn(op.inputs, passes[port]!) ? ranges.get(op.inputs[passes[port]!]!) : undefined;
      if (own === undefined && !passedFrom) continue;
      if (passedFrom && (own === undefined || passedFrom.count >= own)) ranges.set(key, passedFrom);
      else ranges.set(key, { count: own!, from: `${op.origin.node}.${port}` });
    }
  }
  return ranges;
}

export function tokenIdDiagnostics(analysis: Analysis): Diagnostic[] {
  const ranges = tokenIdRanges(analysis);
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
