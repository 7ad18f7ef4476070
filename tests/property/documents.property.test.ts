/**
 * Random and mutated documents never crash or hang the loader or the shape
 * analysis: each gets a typed result, and diagnostics come from the table.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadText, loadValue } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { nodeKinds } from '../../src/core/nodes/registry.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { DIAGNOSTICS } from '../../src/core/base/diagnostics.ts';

const RUNS = 1500;
const PORTS = ['x', 'y', 'z', 'a', 'b', 'mu', 'logvar', 'loss', 'prediction', 'target', 'logits', 'schedule', 'logdet', 't', 'context', 'samples'];
const PARAM_KEYS = ['units', 'shape', 'fn', 'dataset', 'heads', 'filters', 'latent', 'module', 'name', 'hidden', 'activation', 'steps', 'architecture', 'outputShape', 'kernelSize', 'strides', 'axis', 'perm', 'dim', 'vocabSize', 'objective'];

function expectTyped(result: ReturnType<typeof loadValue>) {
  if (result.ok) {
    const analysis = analyze(result.document);
    for (const d of analysis.diagnostics) expect(DIAGNOSTICS).toHaveProperty(d.code);
    // What loads, saves and loads back to the same bytes.
    const text = saveDocument(result.document);
    const again = loadText(text);
    expect(again.ok).toBe(true);
    if (again.ok) expect(saveDocument(again.document)).toBe(text);
  } else {
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) expect(DIAGNOSTICS).toHaveProperty(d.code);
  }
}

const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', '__proto__', 'constructor', 'm');
const smallValue = fc.oneof(
  fc.integer({ min: -3, max: 70000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom('relu', 'mlp', 'conv', 'mnist', 'names', 'two-moons', 'linear', 'cosine', 'm', 'x', 'y'),
  fc.array(fc.integer({ min: -2, max: 64 }), { maxLength: 5 }),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const params = fc.dictionary(fc.constantFrom(...PARAM_KEYS), smallValue, { maxKeys: 4 });
const node = fc.record({
  id,
  kind: fc.oneof(fc.constantFrom(...nodeKinds()), fc.constant('Bogus')),
  params,
  position: fc.record({ x: fc.integer({ min: -500, max: 500 }), y: fc.integer({ min: -500, max: 500 }) }),
});
const endpoint = fc.record({ node: id, port: fc.constantFrom(...PORTS) });
const edge = fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }).map((s) => `e${s.replace(/[^A-Za-z0-9]/g, '')}`), source: endpoint, target: endpoint });
const graphModule = fc.record({
  id: fc.constantFrom('m', 'n'),
  name: fc.constant('M'),
  nodes: fc.uniqueArray(node, { maxLength: 5, selector: (n) => n.id }),
  edges: fc.uniqueArray(edge, { maxLength: 6, selector: (e) => e.id }),
});
const documentArb = fc.record({
  format: fc.constant('gencomposer.graph'),
  version: fc.constantFrom(1, 2, 2, 2, 3),
  meta: fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }) }),
  nodes: fc.uniqueArray(node, { maxLength: 8, selector: (n) => n.id }),
  edges: fc.uniqueArray(edge, { maxLength: 10, selector: (e) => e.id }),
  modules: fc.uniqueArray(graphModule, { maxLength: 2, selector: (m) => m.id }),
});

/** Valid documents to mutate: the presets and the test fixtures' shapes. */
function seeds(): unknown[] {
  const files = [
    ...readdirSync('graph-presets').filter((f) => f.endsWith('.json')).map((f) => `graph-presets/${f}`),
    ...readdirSync('tests/fixtures/broken').filter((f) => f.endsWith('.json') && !f.startsWith('gc002')).map((f) => `tests/fixtures/broken/${f}`),
  ];
  return files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
}

type Path = (string | number)[];
function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function mutate(doc: unknown, path: Path, replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(doc);
  if (path.length === 0) return replacement;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && Array.isArray(parent)) parent.splice(last as number, 1);
  else if (remove) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

describe('documents under random input', () => {
  it('any JSON value loads to a typed result', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => expectTyped(loadValue(value))), { numRuns: RUNS });
  });

  it('any text loads to a typed result', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => expectTyped(loadText(text))), { numRuns: RUNS });
  });

  it('random graphs of real node kinds load and analyse without throwing', () => {
    let analysed = 0;
    fc.assert(
      fc.property(documentArb, (doc) => {
        const result = loadValue(doc);
        if (result.ok) analysed++;
        expectTyped(result);
      }),
      { numRuns: RUNS * 2 },
    );
    // Most generated graphs must get past the loader, or the analysis is not being exercised.
    expect(analysed).toBeGreaterThan(RUNS);
  });

  it('mutated presets and fixtures load and analyse without throwing', () => {
    const docs = seeds();
    const mutation = fc
      .record({ doc: fc.integer({ min: 0, max: docs.length - 1 }), pick: fc.nat(), replacement: smallValue, remove: fc.boolean() })
      .map(({ doc, pick, replacement, remove }) => {
        const all = paths(docs[doc]);
        return mutate(docs[doc], all[pick % all.length]!, replacement, remove);
      });
    fc.assert(fc.property(mutation, (doc) => expectTyped(loadValue(doc))), { numRuns: RUNS * 2 });
  });
});
