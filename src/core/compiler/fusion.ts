/**
 * The fusion pass: finds chains of ops that one fused op computes, and puts
 * that op in their place, for the training step (TrainingSession). What the
 * chain's values were is gone from the run, so a chain only fuses when no
 * value inside it is read by anything else or asked for by the caller
 * (`keep`: losses, metrics).
 *
 * Patterns:
 * - attention: SplitHeads of q, k and v, MatMul q·kᵀ·scale, an optional
 *   CausalMask, Softmax over keys, MatMul with v, MergeHeads — what an
 *   AttentionBlock or TransformerBlock expands to, or the same chain built
 *   by hand — becomes one FusedAttention op (nodes/attention-block.ts).
 *
 * Whether a fused op then runs its kernels is decided at run time
 * (ForwardContext.fused); unfused it runs the chain's own ops.
 */
import { fusedAttentionNode } from '../nodes/attention-block.ts';
import type { FlatOp } from '../shapes/analysis.ts';

interface Graph {
  producer: Map<string, FlatOp>;
  readers: Map<string, number>;
  keep: ReadonlySet<string>;
}

/** The op producing `key`, if it is of `kind` and nothing but the chain reads its outputs. */
function inner(graph: Graph, key: string | undefined, kind: string): FlatOp | undefined {
  const op = key === undefined ? undefined : graph.producer.get(key);
  if (!op || op.kind !== kind) return undefined;
  const privateOutputs = Object.values(op.outputs).every((out) => graph.readers.get(out) === 1 && !graph.keep.has(out));
  return privateOutputs ? op : undefined;
}

const paramsOf = <P>(op: FlatOp) => op.params as P;

/** An attention chain ending at `merge` (a MergeHeads op), with the fused op that replaces it. */
function attentionChain(graph: Graph, merge: FlatOp): { chain: FlatOp[]; fused: FlatOp } | undefined {
  const mix = inner(graph, merge.inputs.x, 'MatMul');
  if (!mix || paramsOf<{ transposeB: boolean; scale: number }>(mix).transposeB || paramsOf<{ scale: number }>(mix).scale !== 1) return undefined;
  const weights = inner(graph, mix.inputs.a, 'Softmax');
  if (!weights || ![-1, 3].includes(paramsOf<{ axis: number }>(weights).axis)) return undefined;
  const mask = inner(graph, weights.inputs.x, 'CausalMask');
  const scores = inner(graph, mask ? mask.inputs.scores : weights.inputs.x, 'MatMul');
  if (!scores || !paramsOf<{ transposeB: boolean }>(scores).transposeB) return undefined;
  const [q, k, v] = [scores.inputs.a, scores.inputs.b, mix.inputs.b].map((key) => inner(graph, key, 'SplitHeads'));
  if (!q || !k || !v) return undefined;
  const heads = paramsOf<{ heads: number }>(q).heads;
  if (paramsOf<{ heads: number }>(k).heads !== heads || paramsOf<{ heads: number }>(v).heads !== heads) return undefined;
  const chain = [q, k, v, scores, ...(mask ? [mask] : []), weights, mix, merge];
  const fused: FlatOp = {
    ...merge,
    id: `${merge.id}#attention`,
    kind: fusedAttentionNode.kind,
    def: fusedAttentionNode,
    params: { heads, scale: paramsOf<{ scale: number }>(scores).scale, causal: mask !== undefined },
    inputs: { q: q.inputs.x!, k: k.inputs.x!, v: v.inputs.x! },
    outputs: { y: merge.outputs.y! },
    variables: [],
  };
  return { chain, fused };
}

/** The ops with every fusable chain replaced by its fused op, in an order that still runs. */
export function fuseOps(ops: readonly FlatOp[], keep: ReadonlySet<string>): FlatOp[] {
  const graph: Graph = { producer: new Map(), readers: new Map(), keep };
  for (const op of ops) {
    for (const key of Object.values(op.outputs)) graph.producer.set(key, op);
    for (const key of Object.values(op.inputs)) graph.readers.set(key, (graph.readers.get(key) ?? 0) + 1);
  }
  const replaced = new Map<FlatOp, FlatOp | null>();
  for (const op of ops) {
    if (op.kind !== 'MergeHeads') continue;
    const found = attentionChain(graph, op);
    if (!found || found.chain.some((member) => replaced.has(member))) continue;
    for (const member of found.chain) replaced.set(member, null);
    // At the chain's last op: its inputs (q, k, v) are all computed before, its readers after.
    replaced.set(op, found.fused);
  }
  if (replaced.size === 0) return [...ops];
  return ops.flatMap((op) => {
    const replacement = replaced.get(op);
    return replacement === undefined ? [op] : replacement === null ? [] : [replacement];
  });
}
