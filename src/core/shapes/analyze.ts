/**
 * One pass over a whole document: validates edges, orders nodes, expands
 * blocks and module instances into primitive ops, and infers the shape of
 * every port. The result is the flat op graph the compiler consumes, plus
 * per-node information for the editor, plus diagnostics. Each job has its
 * file here: edges.ts, order.ts, expand.ts (the walk), infer.ts,
 * modules.ts, training-check.ts, memory.ts.
 */
import type { GraphDocument } from '../graph/schema.ts';
import type { Analysis, AnalyzeOptions } from './analysis.ts';
import { Analyzer } from './expand.ts';
import { expansionLimitDiagnostic } from './expansion-size.ts';
import { DEFAULT_MEMORY_LIMIT_MB, estimateMemory, memoryBudgetMB } from './memory.ts';
import { checkModulePorts } from './modules.ts';
import { checkTraining } from './training-check.ts';

export type { Analysis, AnalyzeOptions, FlatOp, NodeInfo, NodePlace, ValueInfo } from './analysis.ts';
export { DEFAULT_MEMORY_LIMIT_MB } from './memory.ts';

export function analyze(doc: GraphDocument, options: AnalyzeOptions = {}): Analysis {
  // Placements multiply: a document that expands past the limit is refused before anything is expanded.
  const tooLarge = expansionLimitDiagnostic(doc);
  if (tooLarge) return { ops: [], values: new Map(), nodes: new Map(), modules: new Map(), diagnostics: [tooLarge], parameterCount: 0, memoryBytes: 0, memoryBudgetMB: Math.min(doc.training.memoryBudgetMB, options.maxMemoryBudgetMB ?? DEFAULT_MEMORY_LIMIT_MB) };
  const analyzer = new Analyzer(doc);
  analyzer.run();
  checkModulePorts(doc, analyzer.report);
  checkTraining(doc, analyzer.lossNodes, analyzer.report);
  const budgetMB = memoryBudgetMB(doc, options, analyzer.report);
  const { parameterCount, memoryBytes } = estimateMemory(doc, analyzer, budgetMB, analyzer.report);
  return {
    ops: analyzer.ops,
    values: analyzer.values,
    nodes: analyzer.nodes,
    modules: analyzer.moduleInfos,
    diagnostics: analyzer.diagnostics,
    parameterCount,
    memoryBytes,
    memoryBudgetMB: budgetMB,
  };
}
