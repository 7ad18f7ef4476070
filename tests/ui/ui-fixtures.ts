/** Documents for the editor's unit tests, without TF.js. */
import { readFileSync } from 'node:fs';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { makeDocument, type NodeSketch } from '../documents.ts';

export function preset(name: string): GraphDocument {
  const result = loadText(readFileSync(new URL(`../../graph-presets/${name}.json`, import.meta.url), 'utf8'));
  if (!result.ok) throw new Error(`preset ${name} does not load`);
  return result.document;
}

/** `"a.y->b.x"` edges; nodes laid out in a row. */
export function sketch(nodes: NodeSketch[], edges: string[] = []): GraphDocument {
  return makeDocument(nodes, edges, { meta: { name: 'sketch', description: '', family: 'custom' } });
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
