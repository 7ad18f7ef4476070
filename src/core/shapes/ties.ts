/**
 * Weight tying: a node whose variable is tied (VariableSpec.tied) uses the
 * variable another node of the same scope lends (NodeDefinition.lends): a
 * GPT's output Dense reads its Embedding's table, transposed; an Embedding
 * after a VQ prior's sampler reads the quantizer's codebook. Both uses are
 * one variable: its key is the lender's, so the program creates one
 * tf.Variable, the gradients of both uses add up, and checkpoints and
 * parameter counts hold it once. A reference that names no node, a node
 * that lends nothing, a lent variable of another shape, or ties that go
 * round in a circle are GC119 at the tied node, naming the param.
 */
import { formatShape, sameShape } from '../base/shape.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import type { VariableSpec } from '../nodes/types.ts';
import { variableKeyOf } from './analysis.ts';
import type { Report, ResolvedNode, Scope, ScopePrimitive } from './scope.ts';

/** The variable `target` lends, following ties further; a reason when there is none; undefined when its own problem was reported already. */
type Lent = { key: string; spec: VariableSpec } | { reason: string } | undefined;

const LENDERS = 'an Embedding, a Dense or a VectorQuantizer';

export function resolveTies(scope: Scope, resolved: ReadonlyMap<string, ResolvedNode | null>, primitives: ReadonlyMap<string, ScopePrimitive>, report: Report): void {
  const kinds = new Map(scope.nodes.map((n) => [n.id, n.kind]));

  const lent = (target: string, chain: readonly string[]): Lent => {
    if (chain.includes(target)) {
      return { reason: target === chain[0] && chain.length === 1 ? 'a node cannot share its own weights' : `the ties go round in a circle (${[...chain, target].join(' → ')})` };
    }
    const kind = kinds.get(target);
    if (kind === undefined) return { reason: 'no node has that id here (a reference names a node of the same graph, or of the same module body)' };
    const local = primitives.get(target);
    if (!local) {
      const def = resolved.get(target)?.def ?? getNodeDefinition(kind);
      // A lender that could not be analysed has its own problem on it already.
      return def?.lends ? undefined : { reason: `it is a ${kind}, which has no weights to share (${LENDERS} lends its matrix)` };
    }
    const name = local.def.lends;
    const spec = name === undefined ? undefined : local.variables.find((v) => v.name === name);
    if (!spec) return { reason: `it is a ${kind}, which has no weights to share (${LENDERS} lends its matrix)` };
    if (spec.tied) return lent(spec.tied.node, [...chain, target]);
    return { key: variableKeyOf({ varScope: local.varScope }, spec), spec };
  };

  for (const [id, local] of primitives) {
    local.variables.forEach((spec, i) => {
      if (!spec.tied) return;
      const { param, node: target } = spec.tied;
      const found = lent(target, [id]);
      if (!found) return;
      if ('reason' in found) {
        report('GC119', { param, target, reason: found.reason }, id);
        return;
      }
      if (!sameShape(found.spec.shape, spec.shape)) {
        report('GC119', { param, target, reason: `its ${found.spec.name} is ${formatShape(found.spec.shape)} where this node needs ${formatShape(spec.shape)}` }, id);
        return;
      }
      if (!local.op) return;
      // Whichever use runs first creates the variable, so both carry the lender's initialisation.
      local.op.variables[i] = { ...spec, init: found.spec.init };
      local.op.tiedKeys = { ...local.op.tiedKeys, [spec.name]: found.key };
    });
  }
}
