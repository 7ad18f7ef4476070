/** The editor and its charts treat names Object.prototype also has like any other name. */
import { describe, expect, it } from 'vitest';
import { applyEdit } from '../../src/core/edits/recipes.ts';
import { dragStopToRecipe } from '../../src/ui/canvas/to-flow.ts';
import { appendPoint, emptySeries, lossPoint } from '../../src/ui/training/series.ts';
import { makeDocument } from '../documents.ts';

describe('names in the editor', () => {
  it('dragging one node leaves a node called constructor or __proto__ where it was', () => {
    const doc = makeDocument([
      { id: 'constructor', kind: 'Noise' },
      { id: '__proto__', kind: 'Noise' },
      { id: 'toString', kind: 'Noise' },
    ]);
    const next = applyEdit(doc, dragStopToRecipe(doc, [{ id: 'toString', position: { x: 7, y: 9 } }])!).document;
    expect(next.nodes.map((n) => n.position)).toEqual([
      { x: 0, y: 0 },
      { x: 200, y: 0 },
      { x: 7, y: 9 },
    ]);
    const moved = applyEdit(doc, dragStopToRecipe(doc, [{ id: '__proto__', position: { x: 1, y: 2 } }])!).document;
    expect(moved.nodes[1]!.position).toEqual({ x: 1, y: 2 });
  });

  it('charts an objective and loss nodes called __proto__ and constructor', () => {
    const objectives = JSON.parse('{"__proto__": {"total": 3, "losses": {"constructor": 1, "__proto__": 2}}}') as Parameters<typeof lossPoint>[0];
    const point = lossPoint(objectives);
    expect(Object.entries(point)).toEqual([
      ['__proto__', 3],
      ['__proto__ · constructor', 1],
      ['__proto__ · __proto__', 2],
    ]);
    let series = appendPoint(emptySeries, 10, point);
    // A later point without these names leaves gaps, never a function or the prototype.
    series = appendPoint(series, 20, { other: 1 });
    expect(series.names).toEqual(['__proto__', '__proto__ · constructor', '__proto__ · __proto__', 'other']);
    expect(series.values).toEqual([[3, null], [1, null], [2, null], [null, 1]]);
    const withToString = appendPoint(series, 30, { toString: 5 });
    expect(withToString.values.at(-1)).toEqual([null, null, 5]);
  });
});
