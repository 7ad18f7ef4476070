/** The training memory a document needs, against the budget that applies to it. */
import { elementsPerItem } from '../base/shape.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { variableKeyOf, type AnalyzeOptions, type FlatOp, type NodeInfo, type ValueInfo } from './analysis.ts';
import type { ReportAt } from './scope.ts';

/** The memory limit when the person running GenComposer sets none (CLI `--memory-budget`, the app's setting). */
export const DEFAULT_MEMORY_LIMIT_MB = 4096;

const BYTES_PER_FLOAT = 4;

/** The document's budget, capped by the limit set here (a document cannot raise it past the machine). */
export function memoryBudgetMB(doc: GraphDocument, options: AnalyzeOptions, reportAt: ReportAt): number {
  const asked = doc.training.memoryBudgetMB;
  const limit = options.maxMemoryBudgetMB ?? DEFAULT_MEMORY_LIMIT_MB;
  if (asked <= limit) return asked;
  reportAt('GC208', { requestedMB: asked, limitMB: limit }, { path: 'training.memoryBudgetMB' });
  return limit;
}

/** Parameters (with gradients and two Adam moments) plus activations kept for the backward pass; over budget, blames the heaviest node. */
export function estimateMemory(
  doc: GraphDocument,
  analysed: { ops: readonly FlatOp[]; values: ReadonlyMap<string, ValueInfo>; nodes: ReadonlyMap<string, NodeInfo> },
  budgetMB: number,
  reportAt: ReportAt,
): { parameterCount: number; memoryBytes: number } {
  const scopes = new Set<string>();
  let parameterCount = 0;
  let activations = 0;
  for (const op of analysed.ops) {
    if (op.phase !== 'train') continue;
    for (const v of op.variables) {
      const key = variableKeyOf(op, v);
      if (scopes.has(key)) continue;
      scopes.add(key);
      parameterCount += v.shape.reduce((a, b) => a * b, 1);
    }
    for (const key of Object.values(op.outputs)) activations += elementsPerItem(analysed.values.get(key)!.shape);
    if (op.def.hiddenActivations) {
      const inputs = Object.fromEntries(Object.entries(op.inputs).map(([port, key]) => [port, analysed.values.get(key)!.shape]));
      activations += op.def.hiddenActivations({ params: op.params, inputs });
    }
  }
  const batch = doc.training.batchSize;
  const memoryBytes = BYTES_PER_FLOAT * (4 * parameterCount + 2 * activations * batch);
  const budget = budgetMB * 1024 * 1024;
  if (memoryBytes > budget) {
    let heaviest: string | undefined;
    let most = -1;
    for (const [id, info] of analysed.nodes) {
      const weight = 4 * info.paramCount + 2 * info.activationElements * batch;
      if (weight > most) [heaviest, most] = [id, weight];
    }
    reportAt('GC109', { needMB: Math.ceil(memoryBytes / 1048576), batch, budgetMB }, heaviest === undefined ? {} : { node: heaviest });
  }
  return { parameterCount, memoryBytes };
}
