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
    version: 3,
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

/** A loss inside a module: the PyTorch export refuses it (GC301), naming the node inside the module. */
export function lossInModule(): GraphDocument {
  return makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'two-moons' } },
      { id: 'fit', kind: 'Module', params: { module: 'head' } },
    ],
    ['data.x->fit.x'],
    {
      modules: [
        {
          id: 'head',
          name: 'Head',
          description: '',
          frames: [],
          nodes: [
            { id: 'x', kind: 'ModuleInput', params: { name: 'x' }, position: { x: 0, y: 0 } },
            { id: 'dense', kind: 'Dense', params: { units: 2 }, position: { x: 200, y: 0 } },
            { id: 'inner_loss', kind: 'ReconstructionLoss', params: { loss: 'mse' }, position: { x: 400, y: 0 } },
          ],
          edges: [
            { id: 'm1', source: { node: 'x', port: 'x' }, target: { node: 'dense', port: 'x' } },
            { id: 'm2', source: { node: 'dense', port: 'y' }, target: { node: 'inner_loss', port: 'prediction' } },
            { id: 'm3', source: { node: 'x', port: 'x' }, target: { node: 'inner_loss', port: 'target' } },
          ],
        },
      ],
    },
  );
}
