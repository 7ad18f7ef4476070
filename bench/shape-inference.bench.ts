/**
 * How long shape analysis takes on a 1,000-node graph: a residual MLP tower
 * of Dense, Activation and Add nodes, plus a module placed twice.
 * Run: npm run bench:shapes
 */
import { performance } from 'node:perf_hooks';
import { addNode, applyEdit, connect } from '../src/core/edits/recipes.ts';
import { emptyDocument, type GraphDocument } from '../src/core/graph/schema.ts';
import { analyze } from '../src/core/shapes/analyze.ts';

export function residualTower(nodeCount: number): GraphDocument {
  let doc = emptyDocument('tower');
  const add = (kind: string, params: Record<string, unknown>) => {
    const step = applyEdit(doc, addNode({ kind, params }));
    doc = step.document;
    return step.result;
  };
  const wire = (from: string, fromPort: string, to: string, toPort: string) => {
    doc = applyEdit(doc, connect({ source: { node: from, port: fromPort }, target: { node: to, port: toPort } })).document;
  };
  let last = add('Noise', { shape: [64] });
  while (doc.nodes.length + 3 <= nodeCount) {
    const dense = add('Dense', { units: 64 });
    const act = add('Activation', { fn: 'gelu' });
    const sum = add('Add', {});
    wire(last, last.startsWith('noise') ? 'z' : 'y', dense, 'x');
    wire(dense, 'y', act, 'x');
    wire(act, 'y', sum, 'a');
    wire(last, last.startsWith('noise') ? 'z' : 'y', sum, 'b');
    last = sum;
  }
  while (doc.nodes.length < nodeCount) {
    const act = add('Activation', { fn: 'relu' });
    wire(last, last.startsWith('noise') ? 'z' : 'y', act, 'x');
    last = act;
  }
  return doc;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const doc = residualTower(1000);
for (let i = 0; i < 20; i++) analyze(doc); // warm up the JIT
const cold: number[] = [];
for (let i = 0; i < 50; i++) {
  // A fresh copy defeats the params cache, as after loading a new file.
  const copy = structuredClone(doc);
  const t0 = performance.now();
  analyze(copy);
  cold.push(performance.now() - t0);
}
const warm: number[] = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  analyze(doc);
  warm.push(performance.now() - t0);
}
const analysis = analyze(doc);
console.log(
  JSON.stringify(
    {
      nodes: doc.nodes.length,
      edges: doc.edges.length,
      ops: analysis.ops.length,
      diagnostics: analysis.diagnostics.length,
      msFreshDocument: { median: +median(cold).toFixed(2), max: +Math.max(...cold).toFixed(2) },
      msAfterEdit: { median: +median(warm).toFixed(2), max: +Math.max(...warm).toFixed(2) },
    },
    null,
    2,
  ),
);
