import { describe, expect, it } from 'vitest';
import {
  addNode,
  applyEdit,
  connect,
  disconnect,
  EditError,
  expandBlock,
  groupIntoModule,
  moveNodes,
  removeNodes,
  setLabel,
  setParams,
  ungroup,
} from '../../src/core/edits/recipes.ts';
import { loadValue } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { codes, makeDocument } from '../helpers.ts';

const chain = () =>
  makeDocument(
    [
      { id: 'z', kind: 'Noise', params: { shape: [4] } },
      { id: 'fc1', kind: 'Dense', params: { units: 8 } },
      { id: 'act', kind: 'Activation', params: { fn: 'relu' } },
      { id: 'fc2', kind: 'Dense', params: { units: 2 } },
    ],
    ['z.z->fc1.x', 'fc1.y->act.x', 'act.y->fc2.x'],
  );

/** Every edited document must still load cleanly. */
function expectLoadable(doc: unknown) {
  const result = loadValue(JSON.parse(JSON.stringify(doc)));
  expect(result.ok, JSON.stringify(result)).toBe(true);
}

describe('edit recipes', () => {
  it('add a node with its defaults written out and a fresh id', () => {
    const { document, result } = applyEdit(chain(), addNode({ kind: 'Dense', position: { x: 5, y: 6 } }));
    expect(result).toBe('dense');
    expect(document.nodes.at(-1)).toEqual({ id: 'dense', kind: 'Dense', params: { units: 128, activation: 'linear', useBias: true, kernelInit: 'glorot', tiedTo: '' }, position: { x: 5, y: 6 } });
    const again = applyEdit(document, addNode({ kind: 'Dense' }));
    expect(again.result).toBe('dense_2');
    expect(() => applyEdit(chain(), addNode({ kind: 'Nope' }))).toThrow(EditError);
    expectLoadable(again.document);
  });

  it('never mutate the input document', () => {
    const before = chain();
    const snapshot = saveDocument(before);
    applyEdit(before, removeNodes(['fc1']));
    applyEdit(before, setParams('fc2', { units: 3 }));
    expect(saveDocument(before)).toBe(snapshot);
  });

  it('remove nodes with their edges', () => {
    const { document } = applyEdit(chain(), removeNodes(['act']));
    expect(document.nodes.map((n) => n.id)).toEqual(['z', 'fc1', 'fc2']);
    expect(document.edges.map((e) => `${e.source.node}->${e.target.node}`)).toEqual(['z->fc1']);
  });

  it('connect replaces the edge already entering that input', () => {
    const { document } = applyEdit(chain(), connect({ source: { node: 'z', port: 'z' }, target: { node: 'fc2', port: 'x' } }));
    const into = document.edges.filter((e) => e.target.node === 'fc2');
    expect(into).toHaveLength(1);
    expect(into[0]!.source.node).toBe('z');
    expect(codes(analyze(document))).toEqual(['GC202@']);
  });

  it('disconnect, then analysis reports the open input', () => {
    const doc = chain();
    const { document } = applyEdit(doc, disconnect([doc.edges[2]!.id]));
    expect(codes(analyze(document))).toContain('GC102@fc2.x');
  });

  it('set params, reset one to its default, set a label and move', () => {
    let doc = applyEdit(chain(), setParams('fc2', { units: 3, activation: 'tanh' })).document;
    expect(doc.nodes[3]!.params).toEqual({ units: 3, activation: 'tanh' });
    doc = applyEdit(doc, setParams('fc2', { activation: undefined })).document;
    expect(doc.nodes[3]!.params).toEqual({ units: 3 });
    doc = applyEdit(doc, setLabel('fc2', 'head')).document;
    doc = applyEdit(doc, moveNodes({ fc2: { x: 1, y: 2 } })).document;
    expect(doc.nodes[3]).toMatchObject({ label: 'head', position: { x: 1, y: 2 } });
    expect(analyze(doc).nodes.get('fc2')!.outputs.y!.shape).toEqual(['B', 3]);
  });

  it('group into a module and back, keeping shapes and parameter count', () => {
    const before = analyze(chain());
    const grouped = applyEdit(chain(), groupIntoModule(['fc1', 'act'], 'Trunk'));
    const doc = grouped.document;
    expect(grouped.result).toEqual({ moduleId: 'trunk', instanceId: 'trunk_1' });
    expect(doc.nodes.map((n) => n.kind)).toEqual(['Noise', 'Dense', 'Module']);
    expect(doc.modules[0]!.nodes.map((n) => n.kind).sort()).toEqual(['Activation', 'Dense', 'ModuleInput', 'ModuleOutput']);
    expectLoadable(doc);
    const after = analyze(doc);
    expect(codes(after)).toEqual(codes(before));
    expect(after.nodes.get('fc2')!.outputs.y!.shape).toEqual(['B', 2]);
    expect(after.parameterCount).toBe(before.parameterCount);
    expect(after.nodes.get('trunk_1')!.paramCount).toBe(4 * 8 + 8);

    const back = applyEdit(doc, ungroup('trunk_1')).document;
    expect(back.modules).toEqual([]);
    expectLoadable(back);
    const again = analyze(back);
    expect(again.parameterCount).toBe(before.parameterCount);
    expect(again.nodes.get('fc2')!.outputs.y!.shape).toEqual(['B', 2]);
  });

  it('a tie inside a module follows its nodes to their new ids when the module is opened up', () => {
    const tied = makeDocument(
      [
        { id: 'tokens', kind: 'Input', params: { shape: [4], dtype: 'int' } },
        { id: 'embed', kind: 'Embedding', params: { vocabSize: 6, dim: 3 } },
        { id: 'head', kind: 'Dense', params: { units: 6, tiedTo: 'embed' } },
      ],
      ['tokens.x->embed.tokens', 'embed.y->head.x'],
    );
    const grouped = applyEdit(tied, groupIntoModule(['embed', 'head'], 'Lm'));
    const back = applyEdit(grouped.document, ungroup(grouped.result.instanceId)).document;
    const embed = back.nodes.find((n) => n.kind === 'Embedding')!;
    const head = back.nodes.find((n) => n.kind === 'Dense')!;
    expect(embed.id).not.toBe('embed');
    expect(head.params.tiedTo).toBe(embed.id);
    const analysis = analyze(back);
    expect(codes(analysis)).toEqual(codes(analyze(tied)));
    expect(analysis.parameterCount).toBe(6 * 3 + 6);
  });

  it('two instances of a module share one set of weights', () => {
    let doc = applyEdit(chain(), groupIntoModule(['fc1', 'act'], 'Trunk')).document;
    doc = applyEdit(doc, addNode({ kind: 'Module', id: 'trunk_2', params: { module: 'trunk' } })).document;
    doc = applyEdit(doc, connect({ source: { node: 'z', port: 'z' }, target: { node: 'trunk_2', port: 'x' } })).document;
    const analysis = analyze(doc);
    expect(analysis.nodes.get('trunk_2')!.outputs.y!.shape).toEqual(['B', 8]);
    expect(analysis.parameterCount).toBe(4 * 8 + 8 + 8 * 2 + 2);
    const scopes = analysis.ops.filter((op) => op.kind === 'Dense' && op.id.startsWith('trunk')).map((op) => op.varScope);
    expect(scopes).toEqual(['trunk/fc1', 'trunk/fc1']);
  });

  it('expand a block into its primitives with the same shapes', () => {
    const doc = makeDocument(
      [
        { id: 'mu', kind: 'Noise', params: { shape: [3] } },
        { id: 'lv', kind: 'Noise', params: { shape: [3] } },
        { id: 'rep', kind: 'Reparameterize' },
        { id: 'out', kind: 'Dense', params: { units: 1 } },
      ],
      ['mu.z->rep.mu', 'lv.z->rep.logvar', 'rep.z->out.x'],
    );
    const shapes = analyze(doc).nodes.get('rep')!.inputs;
    const { document, result } = applyEdit(doc, expandBlock('rep', { mu: shapes.mu!.shape, logvar: shapes.logvar!.shape }));
    expect(result).toHaveLength(5);
    expect(document.nodes.some((n) => n.kind === 'Reparameterize')).toBe(false);
    expectLoadable(document);
    const analysis = analyze(document);
    expect(codes(analysis)).toEqual(['GC202@']);
    expect(analysis.nodes.get('out')!.outputs.y!.shape).toEqual(['B', 1]);
    expect(() => applyEdit(doc, expandBlock('out', {}))).toThrow(EditError);
  });
});
