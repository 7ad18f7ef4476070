/** Weight tying on the canvas: the tied node names the matrix it uses, the lender says how many share it. */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { toNodeViews } from '../../src/ui/canvas/to-flow.ts';
import { layoutPicture } from '../../src/ui/sharing/graph-picture.ts';
import { sketch } from './ui-fixtures.ts';

const doc = sketch(
  [
    { id: 'x', kind: 'Input', params: { shape: [3], dtype: 'int' } },
    { id: 'embed', kind: 'Embedding', params: { vocabSize: 5, dim: 3 } },
    { id: 'head', kind: 'Dense', params: { units: 5, tiedTo: 'embed' } },
    { id: 'plain', kind: 'Dense', params: { units: 2 } },
  ],
  ['x.x->embed.tokens', 'embed.y->head.x', 'head.y->plain.x'],
);

describe('tie badge', () => {
  it('shows the lender and the matrix on the tied node, the share count on the lender, nothing elsewhere', () => {
    const views = toNodeViews(doc, analyze(doc));
    const byId = (id: string) => views.find((v) => v.id === id)!;
    expect(byId('head').tie).toEqual({ uses: 'embed', variable: 'table' });
    expect(byId('embed').tie).toEqual({ sharedBy: 1, variable: 'table' });
    expect(byId('plain').tie).toBeUndefined();
    // The tied Dense counts its bias only: the table is the embedding's.
    expect(byId('head').paramCount).toBe(5);
    expect(byId('head').summary).toBe('5 · embedᵀ');
  });

  it('takes a row in the graph picture', () => {
    const layout = layoutPicture(doc);
    const head = layout.nodes.find((n) => n.view.id === 'head')!;
    const plain = layout.nodes.find((n) => n.view.id === 'plain')!;
    expect(head.rows.tie).toBeDefined();
    expect(plain.rows.tie).toBeUndefined();
  });
});
