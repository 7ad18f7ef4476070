import { describe, expect, it } from 'vitest';
import { loadText, loadValue } from '../../src/core/graph/load.ts';
import { LIMITS } from '../../src/core/graph/limits.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { makeDocument } from '../helpers.ts';

const valid = () => JSON.parse(saveDocument(makeDocument([{ id: 'a', kind: 'Noise' }, { id: 'b', kind: 'Dense', params: { units: 3 } }], ['a.z->b.x'])));

function firstError(result: ReturnType<typeof loadValue>) {
  if (result.ok) throw new Error('expected a failure');
  return result.diagnostics[0]!;
}

describe('loading documents', () => {
  it('accepts a valid document', () => {
    const result = loadValue(valid());
    expect(result.ok).toBe(true);
  });

  it('reports text that is not JSON', () => {
    expect(firstError(loadText('{"format": ')).code).toBe('GC002');
  });

  it('reports a file over the size limit before parsing it', () => {
    expect(firstError(loadText(' '.repeat(LIMITS.fileBytes + 1))).code).toBe('GC001');
  });

  it('reports a foreign format and an unknown version', () => {
    expect(firstError(loadValue({ ...valid(), format: 'other' })).code).toBe('GC003');
    expect(firstError(loadValue([1, 2])).code).toBe('GC003');
    expect(firstError(loadValue({ ...valid(), version: 99 }))).toMatchObject({ code: 'GC004', path: 'version' });
    expect(firstError(loadValue({ ...valid(), version: '2' })).code).toBe('GC004');
  });

  it('names the JSON path of a schema violation', () => {
    const doc = valid();
    doc.nodes[1].position.x = 'left';
    expect(firstError(loadValue(doc))).toMatchObject({ code: 'GC006', path: 'nodes[1].position.x' });
  });

  it('rejects unknown keys, including __proto__ and constructor, without touching prototypes', () => {
    const hostile = loadText(saveDocument(makeDocument([])).replace('"meta": {', '"meta": {"__proto__": {"polluted": true}, "constructor": 1,'));
    expect(hostile.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const extra = valid();
    extra.nodes[0].colour = 'red';
    expect(firstError(loadValue(extra))).toMatchObject({ code: 'GC006', path: 'nodes[0]' });
  });

  it('keeps a node id of __proto__ as plain data', () => {
    const doc = valid();
    doc.nodes[0].id = '__proto__';
    doc.edges[0].source.node = '__proto__';
    const result = loadValue(doc);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.document.nodes[0]!.id).toBe('__proto__');
  });

  it('reports duplicate ids', () => {
    const doc = valid();
    doc.nodes[1].id = 'a';
    expect(firstError(loadValue(doc))).toMatchObject({ code: 'GC008', path: 'nodes[1].id' });
  });

  it('enforces depth, text length and count limits', () => {
    let deep: unknown = 1;
    for (let i = 0; i < LIMITS.depth + 5; i++) deep = [deep];
    expect(firstError(loadValue({ ...valid(), meta: { name: 'x', deep } })).code).toBe('GC007');
    expect(firstError(loadValue({ ...valid(), meta: { name: 'x'.repeat(LIMITS.textLength + 1) } })).code).toBe('GC007');
    const many = valid();
    many.nodes = Array.from({ length: LIMITS.nodes + 1 }, (_, i) => ({ id: `n${i}`, kind: 'Noise', params: {}, position: { x: 0, y: 0 } }));
    expect(firstError(loadValue(many)).code).toBe('GC007');
  });

  it('rejects out-of-range numbers in the document', () => {
    const doc = valid();
    doc.training.batchSize = 0;
    expect(firstError(loadValue(doc)).path).toBe('training.batchSize');
    doc.training.batchSize = 1e9;
    expect(firstError(loadValue(doc)).path).toBe('training.batchSize');
  });
});

describe('saving documents', () => {
  it('is byte-identical after load → save', () => {
    const text = saveDocument(makeDocument([{ id: 'b', kind: 'Dense', params: { units: 3, activation: 'relu' } }, { id: 'a', kind: 'Noise' }], ['a.z->b.x']));
    const loaded = loadText(text);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(saveDocument(loaded.document)).toBe(text);
  });

  it('orders keys stably whatever order they came in', () => {
    const doc = makeDocument([{ id: 'a', kind: 'Dense', params: { useBias: false, units: 2 } }]);
    const shuffled = JSON.parse(JSON.stringify(doc), (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    );
    expect(saveDocument(shuffled)).toBe(saveDocument(doc));
    const text = saveDocument(doc);
    expect(text.indexOf('"format"')).toBeLessThan(text.indexOf('"version"'));
    expect(text.indexOf('"units"')).toBeGreaterThan(text.indexOf('"useBias"') === -1 ? 0 : 0);
    expect(text.endsWith('}\n')).toBe(true);
  });
});
