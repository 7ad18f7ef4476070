/** Small documents for tests, without TF.js (the editor's tests use them too). */
import { zGraphDocument, type GraphDocument } from '../src/core/graph/schema.ts';

export interface NodeSketch {
  id: string;
  kind: string;
  params?: Record<string, unknown>;
}

/** `"a.y->b.x"` edges, positions laid out in a row. */
export function makeDocument(nodes: NodeSketch[], edges: string[] = [], extra: Partial<GraphDocument> = {}): GraphDocument {
  return zGraphDocument.parse({
    format: 'gencomposer.graph',
    version: 2,
    meta: { name: 'test' },
    nodes: nodes.map((n, i) => ({ id: n.id, kind: n.kind, params: n.params ?? {}, position: { x: i * 200, y: 0 } })),
    edges: edges.map((e, i) => {
      const [from, to] = e.split('->') as [string, string];
      const [sn, sp] = from.split('.') as [string, string];
      const [tn, tp] = to.split('.') as [string, string];
      return { id: `e${i}`, source: { node: sn, port: sp }, target: { node: tn, port: tp } };
    }),
    ...extra,
  });
}
