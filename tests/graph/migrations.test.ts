import { describe, expect, it } from 'vitest';
import { loadValue, migrate } from '../../src/core/graph/load.ts';
import { FIRST_VERSION, MIGRATIONS } from '../../src/core/graph/migrations.ts';
import { LATEST_VERSION } from '../../src/core/graph/schema.ts';

/** A document in the first draft shape (version 1). */
const v1 = {
  format: 'gencomposer.graph',
  version: 1,
  name: 'tiny VAE',
  family: 'vae',
  nodes: [
    { id: 'data', type: 'Data', params: { dataset: 'mnist' }, x: 0, y: 10 },
    { id: 'fc', type: 'Dense', params: { units: 8 }, x: 200, y: 10 },
  ],
  links: [{ from: 'data:x', to: 'fc:x' }],
  training: { batchSize: 32, steps: 100, seed: 3, optimizer: { type: 'adam', lr: 0.002 } },
};

describe('migrations', () => {
  it('are numbered and contiguous up to the latest version', () => {
    expect(MIGRATIONS.map((m) => m.to)).toEqual(Array.from({ length: LATEST_VERSION - FIRST_VERSION }, (_, i) => FIRST_VERSION + i + 1));
  });

  it('1 → 2: meta block, edges with ids and endpoints, per-objective optimizer', () => {
    const after = MIGRATIONS[0]!.up(structuredClone(v1));
    expect(after).toEqual({
      format: 'gencomposer.graph',
      version: 2,
      meta: { name: 'tiny VAE', description: '', family: 'vae' },
      nodes: [
        { id: 'data', kind: 'Data', params: { dataset: 'mnist' }, position: { x: 0, y: 10 } },
        { id: 'fc', kind: 'Dense', params: { units: 8 }, position: { x: 200, y: 10 } },
      ],
      edges: [{ id: 'e1', source: { node: 'data', port: 'x' }, target: { node: 'fc', port: 'x' } }],
      modules: [],
      training: { batchSize: 32, steps: 100, seed: 3, objectives: [{ id: 'main', optimizer: { type: 'adam', learningRate: 0.002 } }] },
    });
  });

  it('2 → 3: no frames on the graph or in its modules, every node drawn in full', () => {
    const v2 = {
      format: 'gencomposer.graph',
      version: 2,
      meta: { name: 'm', description: '', family: 'custom' },
      nodes: [{ id: 'a', kind: 'Noise', params: {}, position: { x: 1, y: 2 } }],
      edges: [],
      modules: [{ id: 'body', name: 'Body', description: '', nodes: [], edges: [] }],
      training: { batchSize: 8 },
    };
    const after = MIGRATIONS[1]!.up(structuredClone(v2));
    expect(after).toEqual({ ...v2, version: 3, frames: [], modules: [{ ...v2.modules[0], frames: [] }] });
    const loaded = loadValue(structuredClone(v2));
    expect(loaded.ok && loaded.migratedFrom).toBe(2);
    expect(loaded.ok && loaded.document.nodes[0]!.collapsed).toBeUndefined();
  });

  it('does not mutate its input', () => {
    const input = structuredClone(v1);
    migrate(input, 1);
    expect(input).toEqual(v1);
  });

  it('loads a version-1 file as the latest version and says so', () => {
    const result = loadValue(structuredClone(v1));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.migratedFrom).toBe(1);
    expect(result.document.version).toBe(LATEST_VERSION);
    expect(result.document.training.objectives[0]!.optimizer.learningRate).toBe(0.002);
  });

  it('turns malformed version-1 content into schema errors, not exceptions', () => {
    for (const broken of [{ ...v1, nodes: 'x' }, { ...v1, links: [{ from: 3 }] }, { ...v1, nodes: [null] }, { format: 'gencomposer.graph', version: 1 }]) {
      const result = loadValue(broken);
      expect(result.ok).toBe(false);
    }
  });
});
