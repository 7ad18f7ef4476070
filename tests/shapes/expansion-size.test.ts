import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/graph/limits.ts';
import { loadText, loadValue } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { expansionSize } from '../../src/core/shapes/expansion-size.ts';
import { moduleBomb } from '../hostile-documents.ts';

function load(value: unknown): GraphDocument {
  const loaded = loadValue(value);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded.document;
}

/** One module holding `count` nodes of `kind` in a chain, placed `placements` times at the top level. */
function wideModule(kind: string, params: Record<string, unknown>, count: number, placements: number): Record<string, unknown> {
  const at = { x: 0, y: 0 };
  const chain = ['in', ...Array.from({ length: count }, (_, i) => `n${i}`), 'out'];
  const tops = Array.from({ length: placements }, (_, i) => `p${i}`);
  return {
    format: 'gencomposer.graph',
    version: 3,
    meta: { name: 'wide' },
    nodes: [{ id: 'z', kind: 'Noise', params: { shape: [8] }, position: at }, ...tops.map((id) => ({ id, kind: 'Module', params: { module: 'w' }, position: at }))],
    edges: tops.map((id, i) => ({ id: `t${i}`, source: { node: 'z', port: 'z' }, target: { node: id, port: 'x' } })),
    modules: [
      {
        id: 'w',
        name: 'W',
        nodes: [
          { id: 'in', kind: 'ModuleInput', params: { name: 'x', shape: [8] }, position: at },
          ...chain.slice(1, -1).map((id) => ({ id, kind, params, position: at })),
          { id: 'out', kind: 'ModuleOutput', params: { name: 'y' }, position: at },
        ],
        edges: chain.slice(1).map((id, k) => ({ id: `e${k}`, source: { node: chain[k]!, port: k === 0 ? 'x' : 'y' }, target: { node: id, port: 'x' } })),
      },
    ],
  };
}

const presets = readdirSync('graph-presets')
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const loaded = loadText(readFileSync(`graph-presets/${file}`, 'utf8'));
    if (!loaded.ok) throw new Error(`${file} does not load`);
    return { file, doc: loaded.document, total: expansionSize(loaded.document).total };
  });

describe('expansion size', () => {
  it('refuses 15 modules each placing the next 10 times (a 27 KB file, 10^14 ops) before expanding anything', () => {
    const bomb = moduleBomb(15, 10);
    expect(JSON.stringify(bomb).length).toBeLessThan(40_000);
    const analysis = analyze(load(bomb));
    // Refused from the count: not one op was expanded.
    expect(analysis.ops).toEqual([]);
    expect(analysis.diagnostics).toHaveLength(1);
    const [d] = analysis.diagnostics;
    expect(d!.code).toBe('GC115');
    expect(d!.node).toBe('top');
    expect(d!.message).toContain('(module "m14" is placed 100,000,000,000,000 times); the limit is 50,000.');
  });

  it('counts placements exactly for a small chain, and analysis agrees', () => {
    const doc = load(moduleBomb(3, 3));
    const size = expansionSize(doc);
    expect(size.heaviest).toEqual({ module: 'm2', placements: 9 });
    // Ports and placements count too: m2 is in, fc, out; m1 is in, out and 3 placements of m2; m0 likewise of m1.
    expect(size.total).toBe(1 + 1 + (2 + 3 * (1 + (2 + 3 * (1 + 3)))));
    const analysis = analyze(doc);
    expect(analysis.ops.filter((op) => op.kind === 'Dense')).toHaveLength(9);
    expect(analysis.diagnostics.map((d) => d.code)).not.toContain('GC115');
  });

  it('refuses a bomb in a module that the top level never places, at the placement inside it', () => {
    const bomb = moduleBomb(15, 10) as { nodes: unknown[]; edges: unknown[] };
    bomb.nodes = bomb.nodes.slice(0, 1);
    bomb.edges = [];
    const analysis = analyze(load(bomb));
    expect(analysis.diagnostics.map((d) => `${d.code}@${d.module}:${d.node}`)).toEqual(['GC115@m0:p0']);
  });

  it('counts what blocks expand to: 100 coupling layers of 8 layers placed 50 times is too many, 30 times is not', () => {
    const params = { layers: 8, hidden: 8 };
    const over = load(wideModule('CouplingLayer', params, 100, 50));
    const refused = analyze(over);
    expect(refused.ops).toEqual([]);
    expect(refused.diagnostics.map((d) => d.code)).toEqual(['GC115']);
    expect(refused.diagnostics[0]!.message).toContain('module "w" is placed 50 times');
    const under = load(wideModule('CouplingLayer', params, 100, 30));
    expect(expansionSize(under).total).toBeLessThanOrEqual(LIMITS.expandedOps);
    const analysis = analyze(under);
    expect(analysis.diagnostics.map((d) => d.code)).not.toContain('GC115');
    // The count bounds the ops analysis makes.
    expect(expansionSize(under).total).toBeGreaterThanOrEqual(analysis.ops.length);
    expect(analysis.ops.length).toBeGreaterThan(30 * 100 * 8);
  });

  it('refuses blocks alone past the limit, with no module to name', () => {
    const at = { x: 0, y: 0 };
    const nodes = [{ id: 'z', kind: 'Noise', params: { shape: [8] }, position: at }, ...Array.from({ length: 4000 }, (_, i) => ({ id: `c${i}`, kind: 'CouplingLayer', params: { layers: 8 }, position: at }))];
    const analysis = analyze(load({ format: 'gencomposer.graph', version: 3, meta: { name: 'blocks' }, nodes, edges: [] }));
    expect(analysis.diagnostics.map((d) => d.code)).toEqual(['GC115']);
    expect(analysis.diagnostics[0]!.message).toContain('its blocks expand into many layers');
  });

  it('counts a module that places itself once, where analysis stops with GC108', () => {
    const doc = load(JSON.parse(readFileSync('tests/fixtures/broken/gc108-module-contains-itself.json', 'utf8')));
    expect(expansionSize(doc).total).toBeLessThan(20);
    expect(analyze(doc).diagnostics.map((d) => d.code)).toContain('GC108');
  });

  it('counts in time linear in the document: 200 modules each placing the next 10 times', () => {
    // 10^199 placements: a count that walked them, rather than counting each module once, would never return.
    const doc = load(moduleBomb(200, 10));
    const size = expansionSize(doc);
    expect(size.total).toBeGreaterThan(1e190);
    expect(analyze(doc).diagnostics[0]!.message).toMatch(/about 4\.3 × 10\^199 operations .*module "m199" is placed 1\.0 × 10\^199 times/);
  });

  it(`keeps every preset far below the limit of ${LIMITS.expandedOps.toLocaleString('en-US')} (${presets.map((p) => `${p.file.replace('.json', '')} ${p.total}`).join(', ')})`, () => {
    expect(presets.length).toBeGreaterThanOrEqual(9);
    for (const { doc, total } of presets) {
      expect(total).toBeLessThan(LIMITS.expandedOps / 100);
      expect(total).toBeGreaterThanOrEqual(analyze(doc).ops.length);
    }
  });
});
