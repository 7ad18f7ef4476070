/**
 * Links and PNG pictures carry a document and give it back byte for byte;
 * anything else (random, cut, hostile) gets a typed error, never an exception.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { deflateSync, zlibSync } from 'fflate';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/graph/limits.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { zGraphDocument, type GraphDocument } from '../../src/core/graph/schema.ts';
import {
  MAX_LINK_CHARS,
  PNG_KEYWORD,
  chunkBytes,
  decodeLink,
  decodePng,
  embedGraphInPng,
  encodeLink,
  extractGraphText,
  fromBase64Url,
  readPngChunks,
  toBase64Url,
  type DecodeResult,
} from '../../src/core/graph/share.ts';
import { nodeKinds } from '../../src/core/nodes/registry.ts';
import { compressedBytesFed } from '../inflate-count.ts';

const presets = readdirSync('graph-presets')
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const loaded = loadText(readFileSync(`graph-presets/${f}`, 'utf8'));
    if (!loaded.ok) throw new Error(`${f} does not load`);
    return { file: f, document: loaded.document };
  });

function tinyPng(width = 3, height = 2): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) & 255;
  return new Uint8Array(PNG.sync.write(png));
}

/** A PNG with `extra` chunks inserted before IEND (valid CRCs, hostile content). */
function withChunks(png: Uint8Array, ...extra: Uint8Array[]): Uint8Array {
  const body = png.subarray(0, png.length - 12);
  const parts = [body, ...extra, png.subarray(png.length - 12)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const keyword = Uint8Array.from(PNG_KEYWORD, (c) => c.charCodeAt(0));
const concat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function expectOk(result: DecodeResult): GraphDocument {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.document;
}

function expectError(result: DecodeResult, code?: string) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.message.length).toBeGreaterThan(10);
  if (code) expect(result.error.code).toBe(code);
}

// Random valid documents: real kinds, any JSON params, unicode names.
const id = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,10}$/);
// A `__proto__` key at any depth is refused by the schema (schema.ts), so valid documents have none.
const json = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const node = fc.record({
  id,
  kind: fc.constantFrom(...nodeKinds()),
  label: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
  params: fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), json, { maxKeys: 4 }),
  position: fc.record({ x: fc.integer({ min: -5000, max: 5000 }), y: fc.double({ min: -1e4, max: 1e4, noNaN: true }) }),
});
const edge = fc.record({ id, source: fc.record({ node: id, port: id }), target: fc.record({ node: id, port: id }) });
const validDocument = fc
  .record({
    meta: fc.record({ name: fc.string({ minLength: 1, maxLength: 40 }), description: fc.string({ maxLength: 200 }), family: fc.constantFrom('vae', 'gan', 'custom') }),
    nodes: fc.uniqueArray(node, { maxLength: 12, selector: (n) => n.id }),
    edges: fc.uniqueArray(edge, { maxLength: 12, selector: (e) => e.id }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ meta, nodes, edges, seed }) =>
    zGraphDocument.parse({ format: 'gencomposer.graph', version: 3, meta, nodes, edges, training: { seed } }),
  );

describe('base64url', () => {
  it('round-trips any bytes and uses only URL-safe characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  it('refuses characters outside the alphabet and impossible lengths', () => {
    expect(fromBase64Url('ab+c')).toBeUndefined();
    expect(fromBase64Url('ab/c')).toBeUndefined();
    expect(fromBase64Url('abcde')).toBeUndefined();
    expect(fromBase64Url('ab%41')).toBeUndefined();
  });
});

describe('links', () => {
  it('carry every preset and give back the same document text', () => {
    for (const { file, document } of presets) {
      const encoded = encodeLink(document);
      if (!encoded.ok) throw new Error(`${file}: ${encoded.error.message}`);
      expect(encoded.hash).toMatch(/^#graph=v1\.[A-Za-z0-9_-]+$/);
      // Every preset fits comfortably, in a quarter of the limit (the multi-scale Glow, 92 nodes and 146 edges, needs about 5,000 characters).
      expect(encoded.hash.length).toBeLessThan(MAX_LINK_CHARS / 4);
      expect(saveDocument(expectOk(decodeLink(encoded.hash)))).toBe(saveDocument(document));
      expect(saveDocument(expectOk(decodeLink(encoded.hash.slice(1))))).toBe(saveDocument(document));
    }
  });

  it('round-trip random valid documents', () => {
    fc.assert(
      fc.property(validDocument, (doc) => {
        const encoded = encodeLink(doc);
        expect(encoded.ok).toBe(true);
        if (!encoded.ok) return;
        expect(saveDocument(expectOk(decodeLink(encoded.hash)))).toBe(saveDocument(doc));
      }),
      { numRuns: 300 },
    );
  });

  it('refuse a graph past the size limit with a message that suggests a file', () => {
    // Random text does not compress: a long description in meta and in a module.
    const noise = (seed: number) => {
      let state = seed;
      return Array.from({ length: LIMITS.textLength }, () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return String.fromCharCode(33 + (state >>> 24) % 90);
      }).join('');
    };
    const doc = zGraphDocument.parse({
      format: 'gencomposer.graph',
      version: 3,
      meta: { name: 'big', description: noise(1) },
      nodes: [],
      edges: [],
      modules: [{ id: 'm', name: 'M', description: noise(2), nodes: [], edges: [] }],
    });
    const encoded = encodeLink(doc);
    expect(encoded.ok).toBe(false);
    if (encoded.ok) return;
    expect(encoded.error.code).toBe('link-too-long');
    expect(encoded.error.message).toContain(MAX_LINK_CHARS.toLocaleString('en-US'));
    expect(encoded.error.message).toMatch(/file/);
  });

  it('run migrations: a version-1 document opens as the latest version', () => {
    const v1 = { format: 'gencomposer.graph', version: 1, name: 'old', nodes: [{ id: 'd', type: 'Data', params: { dataset: 'mnist' }, x: 1, y: 2 }], links: [] };
    const hash = `#graph=v1.${toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(v1))))}`;
    const result = decodeLink(hash);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.migratedFrom).toBe(1);
    expect(result.document.meta.name).toBe('old');
  });

  it('give typed errors for malformed links', () => {
    const good = encodeLink(presets[0]!.document);
    if (!good.ok) throw new Error('preset does not encode');
    expectError(decodeLink(''), 'not-a-link');
    expectError(decodeLink('#section-2'), 'not-a-link');
    expectError(decodeLink('#graph='), 'link-version');
    expectError(decodeLink('#graph=abc'), 'link-version');
    expectError(decodeLink('#graph=v9.abc'), 'link-version');
    expectError(decodeLink('#graph=v1.'), 'bad-encoding');
    expectError(decodeLink('#graph=v1.a+b/'), 'bad-encoding');
    // Cut off half way, as a chat app might.
    expectError(decodeLink(good.hash.slice(0, good.hash.length / 2)));
    // Valid compression of something that is not a graph.
    const notGraph = `#graph=v1.${toBase64Url(deflateSync(new TextEncoder().encode('{"format":"other"}')))}`;
    const result = decodeLink(notGraph);
    expectError(result, 'invalid-document');
    if (!result.ok) expect(result.error.diagnostics?.[0]?.code).toBe('GC003');
  });

  it('read their text as a file is read: a BOM is accepted, bytes that are not UTF-8 are GC010 at their offset', () => {
    const text = saveDocument(presets[0]!.document);
    const link = (bytes: Uint8Array) => decodeLink(`#graph=v1.${toBase64Url(deflateSync(bytes))}`);
    expect(link(Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])).ok).toBe(true);
    const bad = link(Uint8Array.from([...new TextEncoder().encode(text.slice(0, 20)), 0xff, ...new TextEncoder().encode(text.slice(20))]));
    expectError(bad, 'invalid-document');
    if (!bad.ok) expect(bad.error.diagnostics?.map((d) => d.message)).toEqual(['The file is not valid UTF-8: the byte 0xFF never occurs in UTF-8, at byte offset 20. Save it as UTF-8 text.']);
  });

  it('refuse a compression bomb without unpacking it all', async () => {
    // Eight times the limit: inflating stops once the output passes the limit, after about an eighth of the input.
    const bomb = deflateSync(new Uint8Array(LIMITS.fileBytes * 8).fill(32), { level: 9 });
    expect(await compressedBytesFed(() => expectError(decodeLink(`#graph=v1.${toBase64Url(bomb)}`), 'too-large'))).toBeLessThan(bomb.length / 2);
  });

  it('never throw on random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `#graph=v1.${s}`), fc.base64String().map((s) => `graph=v1.${s.replace(/\+/g, '-').replace(/\//g, '_')}`)), (text) => {
        const result = decodeLink(text);
        if (!result.ok) expect(typeof result.error.message).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('never throw on random bytes behind a valid prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (bytes) => {
        const result = decodeLink(`#graph=v1.${toBase64Url(bytes)}`);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('PNG pictures', () => {
  it('carry every preset; viewers still read the picture', () => {
    const png = tinyPng();
    for (const { document } of presets) {
      const embedded = embedGraphInPng(png, document);
      if (!embedded.ok) throw new Error(embedded.error.message);
      expect(saveDocument(expectOk(decodePng(embedded.png)))).toBe(saveDocument(document));
      const decoded = PNG.sync.read(Buffer.from(embedded.png));
      expect(decoded.width).toBe(3);
      expect([...decoded.data]).toEqual([...PNG.sync.read(Buffer.from(png)).data]);
      const chunks = readPngChunks(embedded.png);
      expect(chunks.ok && chunks.chunks.map((c) => c.type).slice(-2)).toEqual(['iTXt', 'IEND']);
    }
  });

  it('replace an older graph chunk instead of adding a second', () => {
    const [a, b] = presets;
    const once = embedGraphInPng(tinyPng(), a!.document);
    if (!once.ok) throw new Error(once.error.message);
    const twice = embedGraphInPng(once.png, b!.document);
    if (!twice.ok) throw new Error(twice.error.message);
    const chunks = readPngChunks(twice.png);
    expect(chunks.ok && chunks.chunks.filter((c) => c.type === 'iTXt').length).toBe(1);
    expect(saveDocument(expectOk(decodePng(twice.png)))).toBe(saveDocument(b!.document));
  });

  it('round-trip random valid documents', () => {
    const png = tinyPng(1, 1);
    fc.assert(
      fc.property(validDocument, (doc) => {
        const embedded = embedGraphInPng(png, doc);
        if (!embedded.ok) throw new Error(embedded.error.message);
        expect(saveDocument(expectOk(decodePng(embedded.png)))).toBe(saveDocument(doc));
      }),
      { numRuns: 200 },
    );
  });

  it('read uncompressed iTXt, zTXt and tEXt graph chunks too', () => {
    const text = saveDocument(presets[0]!.document);
    const bytes = new TextEncoder().encode(text);
    const itxt = chunkBytes('iTXt', concat(keyword, [0, 0, 0, 0, 0], bytes));
    const ztxt = chunkBytes('zTXt', concat(keyword, [0, 0], zlibSync(bytes)));
    const textChunk = chunkBytes('tEXt', concat(keyword, [0], bytes));
    for (const c of [itxt, ztxt, textChunk]) {
      const extracted = extractGraphText(withChunks(tinyPng(), c));
      expect(extracted.ok && extracted.text).toBe(text);
    }
  });

  it('explain what is wrong with a picture', () => {
    const png = tinyPng();
    expectError(decodePng(new Uint8Array()), 'not-a-png');
    expectError(decodePng(new TextEncoder().encode('{"format":"gencomposer.graph"}')), 'not-a-png');
    expectError(decodePng(png), 'no-graph');
    const embedded = embedGraphInPng(png, presets[0]!.document);
    if (!embedded.ok) throw new Error(embedded.error.message);
    // A flipped byte inside the graph chunk breaks its CRC.
    const flipped = embedded.png.slice();
    flipped[flipped.length - 40]! ^= 0x55;
    const result = decodePng(flipped);
    expectError(result, 'corrupt-png');
    if (!result.ok) expect(result.error.message).toMatch(/checksum/);
    expectError(decodePng(embedded.png.subarray(0, embedded.png.length - 20)), 'corrupt-png');
    // Valid CRC, content not a graph.
    const notGraph = chunkBytes('iTXt', concat(keyword, [0, 1, 0, 0, 0], zlibSync(new TextEncoder().encode('[1,2,3]'))));
    expectError(decodePng(withChunks(png, notGraph)), 'invalid-document');
    const badZlib = chunkBytes('iTXt', concat(keyword, [0, 1, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7]));
    expectError(decodePng(withChunks(png, badZlib)), 'corrupt-png');
    const badMethod = chunkBytes('iTXt', concat(keyword, [0, 1, 7, 0, 0]));
    expectError(decodePng(withChunks(png, badMethod)), 'corrupt-png');
    const notUtf8 = chunkBytes('iTXt', concat(keyword, [0, 0, 0, 0, 0], [0xff, 0xfe, 0xfd]));
    expectError(decodePng(withChunks(png, notUtf8)), 'corrupt-png');
    const cut = chunkBytes('iTXt', concat(keyword, [0, 0, 0]));
    expectError(decodePng(withChunks(png, cut)), 'corrupt-png');
    // A chunk claiming more bytes than the file has.
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(8, 0x7ffffff0);
    expectError(decodePng(huge), 'corrupt-png');
  });

  it('refuse a compression bomb in the graph chunk', async () => {
    const bomb = zlibSync(new Uint8Array(LIMITS.fileBytes * 8).fill(32), { level: 9 });
    const fed = await compressedBytesFed(() => expectError(decodePng(withChunks(tinyPng(), chunkBytes('iTXt', concat(keyword, [0, 1, 0, 0, 0], bomb)))), 'too-large'));
    expect(fed).toBeLessThan(bomb.length / 2);
  });

  it('never throw on random bytes, random chunk contents or mutated pictures', () => {
    const embedded = embedGraphInPng(tinyPng(), presets[0]!.document);
    if (!embedded.ok) throw new Error(embedded.error.message);
    const base = embedded.png;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 500 }),
          fc.uint8Array({ maxLength: 500 }).map((b) => concat([137, 80, 78, 71, 13, 10, 26, 10], b)),
          fc.uint8Array({ maxLength: 300 }).map((b) => withChunks(tinyPng(), chunkBytes('iTXt', concat(keyword, [0], b)))),
          fc.uint8Array({ maxLength: 300 }).map((b) => withChunks(tinyPng(), chunkBytes('zTXt', concat(keyword, [0, 0], b)))),
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
            const copy = base.slice();
            copy[at % copy.length]! ^= x;
            return copy;
          }),
          fc.nat().map((n) => base.subarray(0, n % base.length)),
        ),
        (bytes) => {
          const result = decodePng(bytes);
          if (!result.ok) expect(typeof result.error.message).toBe('string');
        },
      ),
      { numRuns: 1500 },
    );
  });
});
