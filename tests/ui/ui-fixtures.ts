/** Documents for the editor's unit tests, without TF.js. */
import { readFileSync } from 'node:fs';
import { loadText } from '../../src/core/graph/load.ts';
import { zGraphDocument, type GraphDocument } from '../../src/core/graph/schema.ts';

export function preset(name: string): GraphDocument {
  const result = loadText(readFileSync(new URL(`../../graph-presets/${name}.json`, import.meta.url), 'utf8'));
  if (!result.ok) throw new Error(`preset ${name} does not load`);
  return result.document;
}

/** `"a.y->b.x"` edges; nodes laid out in a row. */
export function sketch(nodes: { id: string; kind: string; params?: Record<string, unknown> }[], edges: string[] = []): GraphDocument {
  return zGraphDocument.parse({
    format: 'gencomposer.graph',
    version: 2,
    meta: { name: 'sketch' },
    nodes: nodes.map((n, i) => ({ id: n.id, kind: n.kind, params: n.params ?? {}, position: { x: i * 200, y: 0 } })),
    edges: edges.map((e, i) => {
      const [from, to] = e.split('->') as [string, string];
      const [sn, sp] = from.split('.') as [string, string];
      const [tn, tp] = to.split('.') as [string, string];
      return { id: `e${i}`, source: { node: sn, port: sp }, target: { node: tn, port: tp } };
    }),
  });
}

/** A small chain: noise → fc1 → act → fc2. */
export const chain = () =>
  sketch(
    [
      { id: 'z', kind: 'Noise', params: { shape: [4] } },
      { id: 'fc1', kind: 'Dense', params: { units: 8 } },
      { id: 'act', kind: 'Activation', params: { fn: 'relu' } },
      { id: 'fc2', kind: 'Dense', params: { units: 2 } },
    ],
    ['z.z->fc1.x', 'fc1.y->act.x', 'act.y->fc2.x'],
  );
