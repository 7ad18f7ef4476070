import { describe, expect, it } from 'vitest';
import { findInvalidUtf8, loadBytes, loadText, loadValue } from '../../src/core/graph/load.ts';
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

describe('loading bytes', () => {
  const text = () => JSON.stringify(valid());
  const bytes = (...parts: (string | number[])[]) => {
    const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)));
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };

  it('accepts UTF-8 with and without a BOM, and loadText drops a BOM too', () => {
    expect(loadBytes(bytes(text())).ok).toBe(true);
    expect(loadBytes(bytes([0xef, 0xbb, 0xbf], text())).ok).toBe(true);
    expect(loadText(`\uFEFF${text()}`).ok).toBe(true);
    // Only one BOM is a BOM; a second is a character JSON does not allow there.
    expect(firstError(loadBytes(bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], text()))).code).toBe('GC002');
  });

  it('names the byte offset of the first sequence that is not UTF-8, counting a BOM', () => {
    const doc = text();
    const at = doc.indexOf('"name"');
    const bad = bytes(doc.slice(0, at), [0xff], doc.slice(at));
    const error = firstError(loadBytes(bad));
    expect(error.code).toBe('GC010');
    expect(error.message).toBe(`The file is not valid UTF-8: the byte 0xFF never occurs in UTF-8, at byte offset ${at}. Save it as UTF-8 text.`);
    expect(firstError(loadBytes(bytes([0xef, 0xbb, 0xbf], doc.slice(0, at), [0xff], doc.slice(at)))).message).toContain(`at byte offset ${at + 3}.`);
  });

  it('tells apart lone continuation bytes, overlong forms, surrogates, code points past U+10FFFF and cut-off sequences', () => {
    expect(findInvalidUtf8(bytes('ab', [0x80]))).toEqual({ offset: 2, reason: 'the continuation byte 0x80 has no lead byte before it' });
    expect(findInvalidUtf8(bytes('é', [0xe0, 0x80, 0x80]))).toEqual({ offset: 2, reason: '0xE0 followed by 0x80 is an overlong form' });
    expect(findInvalidUtf8(bytes([0xc0, 0xaf]))?.reason).toBe('the byte 0xC0 never occurs in UTF-8');
    expect(findInvalidUtf8(bytes([0xed, 0xa0, 0x80]))?.reason).toBe('0xED followed by 0xA0 is a UTF-16 surrogate');
    expect(findInvalidUtf8(bytes([0xf4, 0x90, 0x80, 0x80]))?.reason).toBe('0xF4 followed by 0x90 is a code point past U+10FFFF');
    expect(findInvalidUtf8(bytes('x', [0xe2, 0x28, 0xa1]))).toEqual({ offset: 1, reason: '0xE2 followed by 0x28 is an incomplete sequence' });
    expect(findInvalidUtf8(bytes('xy', [0xf0, 0x9f, 0x98]))).toEqual({ offset: 2, reason: 'the sequence starting 0xF0 is cut off by the end of the file' });
    expect(findInvalidUtf8(bytes('ok ✓ 😀 é'))).toBeUndefined();
  });

  it('agrees with TextDecoder on which byte strings are UTF-8', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let invalid = 0;
    for (let n = 0; n < 3000; n++) {
      // Mostly high bytes, so that valid and invalid multi-byte sequences both occur often.
      const sample = Uint8Array.from({ length: 1 + Math.floor(next() * 6) }, () => (next() < 0.2 ? Math.floor(next() * 128) : 0x80 + Math.floor(next() * 128)));
      let valid = true;
      try {
        decoder.decode(sample);
      } catch {
        valid = false;
        invalid++;
      }
      expect(findInvalidUtf8(sample) === undefined, Array.from(sample, (b) => b.toString(16)).join(' ')).toBe(valid);
    }
    expect(invalid).toBeGreaterThan(100);
    expect(invalid).toBeLessThan(2900);
  });

  it('checks the size limit on the bytes before decoding them', () => {
    const error = firstError(loadBytes(new Uint8Array(LIMITS.fileBytes + 1).fill(0xff)));
    expect(error.code).toBe('GC001');
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
