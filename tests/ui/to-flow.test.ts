import { describe, expect, it } from 'vitest';
import { applyEdit, groupIntoModule } from '../../src/core/edits/recipes.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { checkConnection, typeVerdict } from '../../src/ui/canvas/connection-check.ts';
import {
  connectionToRecipe,
  dragStopToRecipe,
  formatCount,
  handleId,
  portOfHandle,
  toFlowEdges,
  toFlowNodes,
  toNodeViews,
} from '../../src/ui/canvas/to-flow.ts';
import { chain, preset, sketch } from './ui-fixtures.ts';

const view = (views: ReturnType<typeof toNodeViews>, id: string) => views.find((v) => v.id === id)!;

describe('document to React Flow', () => {
  it('gives each node its title, label, summary, typed ports with inferred shapes and parameter count', () => {
    const doc = preset('vae');
    const views = toNodeViews(doc, analyze(doc));
    const encoder = view(views, 'encoder');
    expect(encoder).toMatchObject({ kind: 'Encoder', title: 'Encoder', category: 'block', expandable: true, summary: 'mlp [400] → 20' });
    expect(encoder.inputs).toEqual([{ name: 'x', type: 'tensor', shape: '[B, 784]', optional: false, connected: true }]);
    expect(encoder.outputs.map((p) => [p.name, p.shape])).toEqual([
      ['mu', '[B, 20]'],
      ['logvar', '[B, 20]'],
    ]);
    // 784·400 + 400 + 2·(400·20 + 20)
    expect(encoder.paramCount).toBe(784 * 400 + 400 + 2 * (400 * 20 + 20));
    expect(view(views, 'reconstruction').outputs).toEqual([{ name: 'loss', type: 'loss', shape: '[]', optional: false, connected: false }]);
    expect(encoder.diagnostics).toEqual([]);
    expect(encoder.severity).toBeUndefined();
  });

  it('puts shape problems on the node and the port they belong to', () => {
    const doc = sketch(
      [
        { id: 'z', kind: 'Noise', params: { shape: [4] } },
        { id: 'a', kind: 'Noise', params: { shape: [5] } },
        { id: 'sum', kind: 'Add' },
        { id: 'fc', kind: 'Dense', params: { units: 3 } },
      ],
      ['z.z->sum.a', 'a.z->sum.b'],
    );
    const analysis = analyze(doc);
    const views = toNodeViews(doc, analysis);
    const sum = view(views, 'sum');
    expect(sum.severity).toBe('error');
    expect(sum.diagnostics.map((d) => d.code)).toContain('GC106');
    const fc = view(views, 'fc');
    expect(fc.diagnostics.map((d) => [d.code, d.port])).toContainEqual(['GC102', 'x']);
    expect(fc.inputs[0]).toMatchObject({ name: 'x', problem: 'error', connected: false });
    expect(fc.inputs[0]!.shape).toBeUndefined();
    expect(view(views, 'z').diagnostics).toEqual([]);
  });

  it('maps edges to handles, coloured by port type, and flags edges into a broken input', () => {
    const doc = preset('vae');
    const edges = toFlowEdges(doc, analyze(doc));
    const first = edges.find((e) => e.id === 'e1')!;
    expect(first).toMatchObject({ source: 'data', sourceHandle: 'out-x', target: 'encoder', targetHandle: 'in-x', className: 'edge-tensor' });
    const broken = sketch([{ id: 'z', kind: 'Noise', params: { shape: [4] } }, { id: 'emb', kind: 'Embedding' }], ['z.z->emb.tokens']);
    const [edge] = toFlowEdges(broken, analyze(broken));
    expect(edge?.data?.problem).toBe('error');
  });

  it('marks selected nodes and keeps document positions', () => {
    const doc = chain();
    const nodes = toFlowNodes(doc, analyze(doc), undefined, ['act']);
    expect(nodes.map((n) => [n.id, n.selected, n.position.x, n.type])).toEqual([
      ['z', false, 0, 'graph'],
      ['fc1', false, 200, 'graph'],
      ['act', true, 400, 'graph'],
      ['fc2', false, 600, 'graph'],
    ]);
  });

  it('shows a module instance with its badge and the module body with its own shapes', () => {
    const gan = preset('gan');
    const analysis = analyze(gan);
    const views = toNodeViews(gan, analysis);
    const dReal = view(views, 'd_real');
    expect(dReal.module).toEqual({ id: 'disc', name: expect.any(String), instances: 2, problems: 0 });
    expect(dReal.inputs.map((p) => [p.name, p.shape])).toEqual([['x', '[B, 28, 28, 1]']]);
    expect(dReal.paramCount).toBeGreaterThan(0);
    const inside = toNodeViews(gan, analysis, 'disc');
    expect(inside.map((v) => v.id)).toEqual(gan.modules[0]!.nodes.map((n) => n.id));
    const critic = inside.find((v) => v.kind === 'Discriminator')!;
    expect(critic.inputs[0]?.shape).toBe('[B, 28, 28, 1]');
  });

  it('puts problems inside a module on the module node, not on top-level nodes of the same id', () => {
    const doc = applyEdit(chain(), groupIntoModule(['fc1', 'act'], 'Body')).document;
    const moduleId = doc.modules[0]!.id;
    const broken = applyEdit(doc, (d) => {
      d.modules[0]!.nodes.find((n) => n.id === 'fc1')!.params.units = -1;
    }).document;
    const analysis = analyze(broken);
    const inside = toNodeViews(broken, analysis, moduleId);
    expect(view(inside, 'fc1').diagnostics.map((d) => d.code)).toEqual(['GC107']);
    const top = toNodeViews(broken, analysis);
    expect(top.find((v) => v.kind === 'Module')!.module!.problems).toBeGreaterThan(0);
    // Its ports come from the module's input and output nodes even though it could not be analysed.
    expect(top.find((v) => v.kind === 'Module')!.inputs.map((p) => p.name)).toEqual(['x']);
  });
});

describe('React Flow gestures to recipes', () => {
  it('a connection becomes the core connect, replacing an older edge into the input', () => {
    const doc = chain();
    const recipe = connectionToRecipe({ source: 'z', sourceHandle: handleId('out', 'z'), target: 'act', targetHandle: handleId('in', 'x') });
    const { document, result } = applyEdit(doc, recipe!);
    expect(result).toMatch(/^e/);
    const into = document.edges.filter((e) => e.target.node === 'act');
    expect(into).toEqual([{ id: result, source: { node: 'z', port: 'z' }, target: { node: 'act', port: 'x' } }]);
    expect(connectionToRecipe({ source: 'z', sourceHandle: null, target: 'act', targetHandle: 'in-x' })).toBeUndefined();
    expect(portOfHandle('out-logits')).toBe('logits');
    expect(portOfHandle('out-a-b')).toBe('a-b');
  });

  it('a connection inside a module edits the module', () => {
    const doc = applyEdit(chain(), groupIntoModule(['fc1', 'act'], 'Body')).document;
    const moduleId = doc.modules[0]!.id;
    const input = doc.modules[0]!.nodes.find((n) => n.kind === 'ModuleInput')!;
    const recipe = connectionToRecipe({ source: input.id, sourceHandle: 'out-x', target: 'act', targetHandle: 'in-x' }, moduleId)!;
    const next = applyEdit(doc, recipe).document;
    expect(next.modules[0]!.edges.filter((e) => e.target.node === 'act').map((e) => e.source.node)).toEqual([input.id]);
    expect(next.edges).toEqual(doc.edges);
  });

  it('a drag stop becomes one moveNodes of the moved nodes, rounded; no move, no recipe', () => {
    const doc = chain();
    const recipe = dragStopToRecipe(doc, [
      { id: 'fc1', position: { x: 10.4, y: 20.6 } },
      { id: 'act', position: { x: 400, y: 0 } },
    ]);
    const next = applyEdit(doc, recipe!).document;
    expect(next.nodes.map((n) => n.position)).toEqual([
      { x: 0, y: 0 },
      { x: 10, y: 21 },
      { x: 400, y: 0 },
      { x: 600, y: 0 },
    ]);
    expect(dragStopToRecipe(doc, [{ id: 'act', position: { x: 400, y: 0 } }])).toBeUndefined();
  });

  it('checks a connection: type mismatch and shape problems are refused with a reason', () => {
    const doc = sketch([
      { id: 'z', kind: 'Noise', params: { shape: [4] } },
      { id: 'w', kind: 'Noise', params: { shape: [6] } },
      { id: 'sum', kind: 'Add' },
      { id: 'kl', kind: 'KLDivergence' },
      { id: 'fc', kind: 'Dense' },
      { id: 'ce', kind: 'NextTokenCrossEntropy' },
    ]);
    const analysis = analyze(doc);
    const c = (sn: string, sp: string, tn: string, tp: string) => ({ source: { node: sn, port: sp }, target: { node: tn, port: tp } });
    expect(checkConnection(doc, analysis, undefined, c('z', 'z', 'fc', 'x'))).toEqual({ ok: true });
    const loss = checkConnection(doc, analysis, undefined, c('kl', 'loss', 'fc', 'x'));
    expect(loss).toEqual({ ok: false, reason: 'Type mismatch: a loss output cannot feed a tensor input.' });
    expect(typeVerdict(doc, analysis, undefined, c('fc', 'y', 'fc', 'x')).ok).toBe(false);
    // z into sum.a alone is fine; then w's [B, 6] into sum.b does not broadcast with [B, 4].
    const step = applyEdit(doc, (d) => {
      d.edges.push({ id: 'e1', source: { node: 'z', port: 'z' }, target: { node: 'sum', port: 'a' } });
    }).document;
    const verdict = checkConnection(step, analyze(step), undefined, c('w', 'z', 'sum', 'b'));
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toMatch(/shape|broadcast/i);
    // A cycle is refused too.
    const loop = sketch([{ id: 'a', kind: 'Dense' }, { id: 'b', kind: 'Dense' }], ['a.y->b.x']);
    const cycle = checkConnection(loop, analyze(loop), undefined, c('b', 'y', 'a', 'x'));
    expect(!cycle.ok && cycle.reason).toMatch(/cycle/);
  });

  it('formats parameter counts', () => {
    expect([0, 999, 1000, 12_345, 784_000, 1_234_567, 25_000_000].map(formatCount)).toEqual(['0', '999', '1k', '12k', '784k', '1.23M', '25M']);
  });
});
