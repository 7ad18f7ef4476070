import { describe, expect, it } from 'vitest';
import { addFrame, applyEdit, EditError, makeRoom, moveFrame, removeFrame, setCollapsed, updateFrame } from '../../src/core/edits/recipes.ts';
import { loadValue } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { makeDocument } from '../helpers.ts';

const graph = () =>
  makeDocument(
    [
      { id: 'z', kind: 'Noise', params: { shape: [4] } },
      { id: 'fc', kind: 'Dense', params: { units: 8 } },
    ],
    ['z.z->fc.x'],
  );

describe('frames and compact cards', () => {
  it('adds a frame with a fresh id, renames, recolours and resizes it, and removes it leaving the nodes', () => {
    const doc = graph();
    const added = applyEdit(doc, addFrame({ title: 'Head', position: { x: -10.4, y: 5 }, size: { width: 300, height: 10 } }));
    const id = added.result!;
    expect(added.document.frames).toEqual([{ id, title: 'Head', color: 'slate', position: { x: -10, y: 5 }, size: { width: 300, height: 40 } }]);
    const changed = applyEdit(added.document, updateFrame(id, { title: 'Body', color: 'rose', size: { width: 500, height: 220 } })).document;
    expect(changed.frames[0]).toMatchObject({ title: 'Body', color: 'rose', size: { width: 500, height: 220 } });
    const removed = applyEdit(changed, removeFrame(id)).document;
    expect(removed.frames).toEqual([]);
    expect(removed.nodes).toEqual(doc.nodes);
    expect(() => applyEdit(removed, removeFrame(id))).toThrow(EditError);
  });

  it('moves a frame and the nodes it holds by one offset, and no other node', () => {
    const doc = graph();
    const { document: framed, result: id } = applyEdit(doc, addFrame({ title: 'F', position: { x: 0, y: 0 }, size: { width: 100, height: 100 } }));
    const moved = applyEdit(framed, moveFrame(id!, { x: 30.2, y: -20 }, ['fc'])).document;
    expect(moved.frames[0]!.position).toEqual({ x: 30, y: -20 });
    const at = (d: typeof doc, node: string) => d.nodes.find((n) => n.id === node)!.position;
    expect(at(moved, 'fc')).toEqual({ x: at(doc, 'fc').x + 30, y: at(doc, 'fc').y - 20 });
    expect(at(moved, 'z')).toEqual(at(doc, 'z'));
  });

  it('draws nodes as cards and in full again, and saves both as the document says', () => {
    const carded = applyEdit(graph(), setCollapsed(['fc'], true)).document;
    expect(carded.nodes.find((n) => n.id === 'fc')!.collapsed).toBe(true);
    const text = saveDocument(carded);
    expect(text).toContain('"collapsed": true');
    const reloaded = loadValue(JSON.parse(text));
    expect(reloaded.ok && saveDocument(reloaded.document)).toBe(text);
    const full = applyEdit(carded, setCollapsed(['fc'], false)).document;
    expect('collapsed' in full.nodes.find((n) => n.id === 'fc')!).toBe(false);
  });

  it('refuses a document whose frames repeat an id', () => {
    const doc = { ...graph(), frames: [0, 1].map(() => ({ id: 'f', title: 't', color: 'blue' as const, position: { x: 0, y: 0 }, size: { width: 50, height: 50 } })) };
    const result = loadValue(JSON.parse(saveDocument(doc)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics[0]!.code).toBe('GC008');
  });
});

describe('room for an expanded block', () => {
  it('moves the nodes after the block in its rows right by the width its primitives take beyond one node, and no other', () => {
    // z at x 0, fc at x 200, far at x 400; a node below the rows stays.
    const doc = makeDocument([
      { id: 'z', kind: 'Noise', params: { shape: [4] } },
      { id: 'fc', kind: 'Dense', params: { units: 8 } },
      { id: 'far', kind: 'Dense', params: { units: 8 } },
      { id: 'below', kind: 'Dense', params: { units: 8 } },
    ]);
    const placed = applyEdit(doc, (draft) => {
      draft.nodes.find((n) => n.id === 'below')!.position = { x: 400, y: 600 };
      // Primitives that took fc's place, three wide: x 200, 420, 640.
      draft.nodes.find((n) => n.id === 'z')!.position = { x: 0, y: 0 };
      draft.nodes.push(
        { id: 'p1', kind: 'Dense', params: { units: 8 }, position: { x: 200, y: 0 } },
        { id: 'p2', kind: 'Dense', params: { units: 8 }, position: { x: 420, y: 60 } },
        { id: 'p3', kind: 'Dense', params: { units: 8 }, position: { x: 640, y: 0 } },
      );
      draft.nodes = draft.nodes.filter((n) => n.id !== 'fc');
    }).document;
    const after = applyEdit(placed, makeRoom(['p1', 'p2', 'p3'], { x: 200, y: 0 })).document;
    const at = (id: string) => after.nodes.find((n) => n.id === id)!.position;
    // The primitives reach x 640 + 212 = 852; one node would have reached 412: 440 more.
    expect(at('far')).toEqual({ x: 840, y: 0 });
    expect(at('z')).toEqual({ x: 0, y: 0 });
    expect(at('below')).toEqual({ x: 400, y: 600 });
    expect(at('p2')).toEqual({ x: 420, y: 60 });
  });
});
