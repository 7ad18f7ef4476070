import { beforeEach, describe, expect, it } from 'vitest';
import { addNode, connect, EditError, groupIntoModule, moveNodes, removeNodes, setParams, ungroup } from '../../src/core/edits/recipes.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { emptyDocument } from '../../src/core/graph/schema.ts';
import { useNotices } from '../../src/ui/notices.ts';
import { getEditor, useEditor } from '../../src/ui/store/editor-store.ts';
import { chain, preset } from './ui-fixtures.ts';

const text = () => saveDocument(getEditor().document);
const shapeOf = (node: string, port: string) => getEditor().analysis.nodes.get(node)?.outputs[port]?.shape;

beforeEach(() => {
  getEditor().replaceDocument(chain());
  useNotices.setState({ notices: [] });
});

describe('editor store', () => {
  it('starts with an empty, analysed document', () => {
    const fresh = emptyDocument();
    getEditor().replaceDocument(fresh);
    expect(getEditor().document.nodes).toEqual([]);
    expect(getEditor().analysis.diagnostics).toEqual([]);
    expect(getEditor().past).toEqual([]);
  });

  it('applies an edit, reanalyses at once, and returns the recipe result', () => {
    const id = getEditor().edit(addNode({ kind: 'Dense', params: { units: 3 } }), 'Add');
    expect(id).toBe('dense');
    expect(getEditor().document.nodes.map((n) => n.id)).toContain('dense');
    getEditor().edit(connect({ source: { node: 'fc2', port: 'y' }, target: { node: 'dense', port: 'x' } }));
    expect(shapeOf('dense', 'y')).toEqual(['B', 3]);
    getEditor().edit(setParams('fc2', { units: 5 }));
    expect(getEditor().analysis.nodes.get('dense')?.inputs.x?.shape).toEqual(['B', 5]);
  });

  it('undoes and redoes a sequence of different edits step by step', () => {
    const states = [text()];
    const steps = [
      () => getEditor().edit(setParams('fc1', { units: 16 }), 'Params'),
      () => getEditor().edit(addNode({ kind: 'Dense', position: { x: 10, y: 20 } }), 'Add'),
      () => getEditor().edit(connect({ source: { node: 'fc2', port: 'y' }, target: { node: 'dense', port: 'x' } }), 'Connect'),
      () => getEditor().edit(moveNodes({ fc1: { x: 300, y: 77 }, act: { x: 500, y: 77 } }), 'Move'),
      () => getEditor().edit(groupIntoModule(['fc1', 'act'], 'Body'), 'Group'),
      () => getEditor().edit(removeNodes(['z']), 'Delete'),
    ];
    for (const step of steps) {
      step();
      states.push(text());
    }
    expect(new Set(states).size).toBe(states.length);
    expect(getEditor().past.map((e) => e.label)).toEqual(['Params', 'Add', 'Connect', 'Move', 'Group', 'Delete']);
    for (let i = states.length - 2; i >= 0; i--) {
      getEditor().undo();
      expect(text()).toBe(states[i]);
    }
    getEditor().undo(); // nothing left: no change
    expect(text()).toBe(states[0]);
    for (let i = 1; i < states.length; i++) {
      getEditor().redo();
      expect(text()).toBe(states[i]);
    }
    expect(getEditor().future).toEqual([]);
  });

  it('undoes group and ungroup, with the analysis following', () => {
    const before = text();
    const paramsBefore = getEditor().analysis.parameterCount;
    const grouped = getEditor().edit(groupIntoModule(['fc1', 'act'], 'Body'), 'Group')!;
    expect(getEditor().document.modules.map((m) => m.id)).toEqual([grouped.moduleId]);
    expect(getEditor().analysis.parameterCount).toBe(paramsBefore);
    const afterGroup = text();
    getEditor().edit(ungroup(grouped.instanceId), 'Ungroup');
    expect(getEditor().document.modules).toEqual([]);
    getEditor().undo();
    expect(text()).toBe(afterGroup);
    getEditor().undo();
    expect(text()).toBe(before);
    expect(getEditor().analysis.parameterCount).toBe(paramsBefore);
    getEditor().redo();
    expect(text()).toBe(afterGroup);
  });

  it('a move is one step and can be undone', () => {
    getEditor().edit(moveNodes({ fc1: { x: 1, y: 2 } }), 'Move');
    expect(getEditor().document.nodes.find((n) => n.id === 'fc1')?.position).toEqual({ x: 1, y: 2 });
    getEditor().undo();
    expect(getEditor().document.nodes.find((n) => n.id === 'fc1')?.position).toEqual({ x: 200, y: 0 });
  });

  it('a new edit clears the redo stack', () => {
    getEditor().edit(setParams('fc1', { units: 9 }));
    getEditor().undo();
    expect(getEditor().future).toHaveLength(1);
    getEditor().edit(setParams('fc2', { units: 9 }));
    expect(getEditor().future).toEqual([]);
  });

  it('an EditError changes nothing and becomes a notice', () => {
    const before = getEditor();
    const result = getEditor().edit(() => {
      throw new EditError('not like that');
    });
    expect(result).toBeUndefined();
    expect(getEditor().document).toBe(before.document);
    expect(getEditor().analysis).toBe(before.analysis);
    expect(getEditor().past).toBe(before.past);
    expect(useNotices.getState().notices.map((n) => [n.kind, n.text])).toEqual([['error', 'not like that']]);
    // A recipe that throws after changing the draft leaves nothing behind either.
    getEditor().edit((doc) => {
      doc.nodes.pop();
      throw new EditError('half-way');
    });
    expect(getEditor().document).toBe(before.document);
    getEditor().edit(ungroup('fc1'));
    expect(getEditor().document).toBe(before.document);
    expect(useNotices.getState().notices).toHaveLength(3);
  });

  it('an edit that changes nothing adds no undo step', () => {
    getEditor().edit(removeNodes(['nope']));
    expect(getEditor().past).toEqual([]);
  });

  it('edits in the same group merge into one undo step', () => {
    const before = text();
    getEditor().edit(setParams('fc1', { units: 1 }), 'Units', { group: 'fc1.units' });
    getEditor().edit(setParams('fc1', { units: 12 }), 'Units', { group: 'fc1.units' });
    getEditor().edit(setParams('fc1', { units: 123 }), 'Units', { group: 'fc1.units' });
    expect(getEditor().past).toHaveLength(1);
    getEditor().undo();
    expect(text()).toBe(before);
    getEditor().redo();
    expect(getEditor().document.nodes.find((n) => n.id === 'fc1')?.params.units).toBe(123);
  });

  it('replaceDocument resets history, selection and the open module; keepHistory makes it undoable', () => {
    getEditor().edit(setParams('fc1', { units: 9 }));
    getEditor().select(['fc1']);
    const vae = preset('vae');
    getEditor().replaceDocument(vae);
    expect(getEditor().past).toEqual([]);
    expect(getEditor().selection).toEqual([]);
    expect(getEditor().analysis.nodes.get('encoder')?.outputs.mu?.shape).toEqual(['B', 20]);
    const vaeText = text();
    getEditor().replaceDocument(chain(), { keepHistory: true });
    expect(getEditor().document.nodes).toHaveLength(4);
    getEditor().undo();
    expect(text()).toBe(vaeText);
  });

  it('keeps the selection and the open module consistent with undo', () => {
    const grouped = getEditor().edit(groupIntoModule(['fc1', 'act'], 'Body'))!;
    getEditor().openScope(grouped.moduleId);
    expect(getEditor().scope).toBe(grouped.moduleId);
    getEditor().select(['fc1']);
    getEditor().edit(setParams('fc1', { units: 3 }, grouped.moduleId));
    expect(getEditor().analysis.nodes.get('fc2')?.inputs.x?.shape).toEqual(['B', 3]);
    getEditor().undo();
    getEditor().undo(); // the module is gone: back to the top level
    expect(getEditor().scope).toBeUndefined();
    expect(getEditor().selection).toEqual([]);
    getEditor().select(['fc2']);
    getEditor().edit(removeNodes(['fc2']));
    expect(getEditor().selection).toEqual([]);
  });

  it('focusNode opens the level and selects the node', () => {
    const grouped = getEditor().edit(groupIntoModule(['fc1', 'act'], 'Body'))!;
    getEditor().focusNode('act', grouped.moduleId);
    expect(getEditor().scope).toBe(grouped.moduleId);
    expect(getEditor().selection).toEqual(['act']);
    const nonce = getEditor().focus!.nonce;
    getEditor().focusNode('z');
    expect(getEditor().scope).toBeUndefined();
    expect(getEditor().focus).toEqual({ node: 'z', scope: undefined, nonce: nonce + 1 });
  });

  it('is a zustand store with subscriptions', () => {
    let calls = 0;
    const stop = useEditor.subscribe(() => calls++);
    getEditor().edit(setParams('fc1', { units: 2 }));
    stop();
    expect(calls).toBe(1);
  });
});
