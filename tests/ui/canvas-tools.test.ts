import { describe, expect, it } from 'vitest';
import { applyEdit } from '../../src/core/edits/recipes.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { copyFragment, pasteFragment } from '../../src/ui/canvas/clipboard.ts';
import { layoutGraph, toElkGraph, type LayoutNode } from '../../src/ui/canvas/layout.ts';
import { catalogItems, groupCatalog, searchCatalog } from '../../src/ui/palette/catalog.ts';
import { chain, preset } from './ui-fixtures.ts';

describe('copy and paste', () => {
  it('copies the selected nodes with the edges inside the selection, and pastes them with fresh ids at a point', () => {
    const doc = chain();
    const fragment = copyFragment(doc, ['fc1', 'act'])!;
    expect(fragment.nodes.map((n) => n.id)).toEqual(['fc1', 'act']);
    expect(fragment.edges.map((e) => `${e.source.node}->${e.target.node}`)).toEqual(['fc1->act']);
    const { document, result } = applyEdit(doc, pasteFragment(fragment, { x: 1000, y: 500 }));
    expect(result).toEqual(['fc1_2', 'act_2']);
    const pasted = document.nodes.filter((n) => result.includes(n.id));
    expect(pasted.map((n) => n.position)).toEqual([
      { x: 1000, y: 500 },
      { x: 1200, y: 500 },
    ]);
    expect(pasted[0]!.params).toEqual(doc.nodes[1]!.params);
    const inner = document.edges.filter((e) => result.includes(e.target.node));
    expect(inner.map((e) => `${e.source.node}.${e.source.port}->${e.target.node}.${e.target.port}`)).toEqual(['fc1_2.y->act_2.x']);
    // The originals are untouched, and a second paste gets other ids.
    expect(document.nodes.slice(0, 4)).toEqual(doc.nodes);
    expect(applyEdit(document, pasteFragment(fragment, { x: 0, y: 0 })).result).toEqual(['fc1_3', 'act_3']);
    // The pasted copy analyses like the original: its input is open, its shapes follow once fed.
    expect(analyze(document).diagnostics.some((d) => d.node === 'fc1_2' && d.code === 'GC102')).toBe(true);
    expect(copyFragment(doc, [])).toBeUndefined();
  });
});

describe('auto-layout', () => {
  const nodes: LayoutNode[] = [
    { id: 'a', width: 180, height: 80, inputs: [], outputs: [{ name: 'y', y: 50 }] },
    { id: 'b', width: 180, height: 100, inputs: [{ name: 'x', y: 40 }], outputs: [{ name: 'mu', y: 60 }, { name: 'lv', y: 80 }] },
    { id: 'c', width: 180, height: 100, inputs: [{ name: 'mu', y: 40 }, { name: 'lv', y: 60 }], outputs: [] },
  ];
  const edges = [
    { id: 'e1', source: 'a', sourcePort: 'y', target: 'b', targetPort: 'x' },
    { id: 'e2', source: 'b', sourcePort: 'mu', target: 'c', targetPort: 'mu' },
    { id: 'e3', source: 'b', sourcePort: 'lv', target: 'c', targetPort: 'lv' },
  ];

  it('gives ELK ports in a fixed order on the west (inputs) and east (outputs) sides', () => {
    const graph = toElkGraph(nodes, edges);
    expect(graph.layoutOptions?.['elk.algorithm']).toBe('layered');
    expect(graph.layoutOptions?.['elk.direction']).toBe('RIGHT');
    const c = graph.children!.find((n) => n.id === 'c')!;
    expect(c.layoutOptions?.['elk.portConstraints']).toBe('FIXED_ORDER');
    expect(c.ports!.map((p) => [p.layoutOptions?.['elk.port.side'], p.layoutOptions?.['elk.port.index']])).toEqual([
      ['WEST', '1'],
      ['WEST', '0'],
    ]);
    expect(graph.edges).toHaveLength(3);
  });

  it('lays the graph out left to right', async () => {
    const positions = await layoutGraph(nodes, edges);
    expect(positions.a!.x).toBeLessThan(positions.b!.x);
    expect(positions.b!.x + 180).toBeLessThan(positions.c!.x);
    expect(await layoutGraph([], [])).toEqual({});
  });

  it('wraps a chain too long to read in the view into rows, and leaves a short one in one row', async () => {
    const chain: LayoutNode[] = Array.from({ length: 16 }, (_, i) => ({
      id: `n${i}`,
      width: 200,
      height: 80,
      inputs: i > 0 ? [{ name: 'x', y: 40 }] : [],
      outputs: [{ name: 'y', y: 40 }],
    }));
    const links = chain.slice(1).map((n, i) => ({ id: `e${i}`, source: `n${i}`, sourcePort: 'y', target: n.id, targetPort: 'x' }));
    const view = { width: 900, height: 700 };
    const rows = (p: Record<string, { x: number; y: number }>) => new Set(Object.values(p).map((q) => q.y)).size;
    const wrapped = await layoutGraph(chain, links, view);
    expect(rows(wrapped)).toBeGreaterThan(1);
    expect(Math.max(...Object.values(wrapped).map((p) => p.x))).toBeLessThan(16 * 200);
    const short = await layoutGraph(chain.slice(0, 3), links.slice(0, 2), view);
    expect(rows(short)).toBe(1);
  });
});

describe('palette catalogue', () => {
  it('groups kinds by category in the editor order and finds them by words', () => {
    const groups = groupCatalog(catalogItems(preset('vae'), undefined));
    expect(groups.map((g) => g.title)).toEqual(['Data', 'Layers', 'Blocks', 'Flow layers', 'Objectives', 'Samplers']);
    const all = catalogItems(preset('gan'), undefined);
    expect(all.filter((i) => i.category === 'module').map((i) => i.key)).toEqual(['Module:disc']);
    expect(all.some((i) => i.kind === 'ModuleInput')).toBe(false);
    expect(catalogItems(preset('gan'), 'disc').filter((i) => i.category === 'module').map((i) => i.kind)).toEqual(['ModuleInput', 'ModuleOutput']);
    expect(searchCatalog(all, 'dense')[0]?.kind).toBe('Dense');
    expect(searchCatalog(all, 'kl')[0]?.kind).toBe('KLDivergence');
    expect(searchCatalog(all, 'zzzz')).toEqual([]);
    expect(searchCatalog(all, 'att').map((i) => i.kind)).toEqual(['AttentionBlock', 'Flatten']);
    expect(searchCatalog(all, 'layer norm').map((i) => i.kind)).toEqual(['LayerNorm']);
    expect(searchCatalog(all, 'conv').map((i) => i.kind)).toEqual(['Conv2D', 'Conv2DTranspose', 'MaskedConv2D', 'InvertibleConv1x1']);
    // No name matches: descriptions do.
    expect(searchCatalog(all, 'gaussian').length).toBeGreaterThan(0);
  });
});
