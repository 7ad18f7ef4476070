/** Shape inference of one primitive node: its output values, its share of parameters and activations, and its op. */
import { nameRecord } from '../base/names.ts';
import { elementsPerItem, MAX_RANK } from '../base/shape.ts';
import { portsOf } from '../nodes/types.ts';
import type { FlatOp, NodeInfo, ValueInfo } from './analysis.ts';
import type { NodeJob, Report, ScopeContext } from './scope.ts';

/** Where inferred values and ops go. */
export interface OpSink {
  values: Map<string, ValueInfo>;
  ops: FlatOp[];
  /** Values that exist only when sampling: a sampler's outputs and everything computed from them. */
  sampled: Set<string>;
}

/** Output port → value key; empty when an output's rank is too high (reported). */
export function inferPrimitive({ node, def, params, inputKeys, inputShapes }: NodeJob, ctx: ScopeContext, owners: readonly NodeInfo[], report: Report, sink: OpSink): Map<string, string> {
  if (!def.infer) throw new Error(`kind ${def.kind} has neither infer nor expand`);
  const shapes = def.infer({ params, inputs: inputShapes });
  const outputs = new Map<string, string>();
  const outputKeys = nameRecord<string>();
  const id = `${ctx.path}${node.id}`;
  // Nodes downstream of a sampler run after it, when sampling (a decoder after a latent sampler).
  const phase = def.phase === 'sample' || Object.values(inputKeys).some((key) => sink.sampled.has(key)) ? 'sample' : 'train';
  let elements = 0;
  for (const port of portsOf(def, params).outputs) {
    const shape = shapes[port.name];
    if (!shape) throw new Error(`output "${port.name}" got no shape`);
    if (shape.length > MAX_RANK) {
      report('GC112', { port: port.name, shape, rank: shape.length, max: MAX_RANK }, node.id, port.name);
      return new Map();
    }
    const key = `${id}:${port.name}`;
    sink.values.set(key, { shape, type: port.type });
    if (phase === 'sample') sink.sampled.add(key);
    outputs.set(port.name, key);
    outputKeys[port.name] = key;
    elements += elementsPerItem(shape);
  }
  elements += def.hiddenActivations?.({ params, inputs: inputShapes }) ?? 0;
  const variables = def.variables?.({ params, inputs: inputShapes }) ?? [];
  // A tied variable is counted where it is lent, once.
  const paramCount = variables.reduce((sum, v) => (v.tied ? sum : sum + v.shape.reduce((a, b) => a * b, 1)), 0);
  for (const owner of owners) {
    owner.paramCount += paramCount;
    owner.activationElements += elements;
  }
  const varScope = `${ctx.varPrefix}${node.id}`;
  let op: FlatOp | undefined;
  if (ctx.emitOps) {
    op = {
      id,
      kind: def.kind,
      def,
      params,
      inputs: inputKeys,
      outputs: outputKeys,
      variables,
      varScope,
      origin: ctx.place(node.id),
      phase,
    };
    sink.ops.push(op);
  }
  ctx.primitives?.set(node.id, { def, varScope, variables, ...(op ? { op } : {}) });
  return outputs;
}
