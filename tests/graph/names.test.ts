/**
 * Keys and ids that Object.prototype also has: a `__proto__` key is reported
 * wherever it sits (zod's records would drop it without a word), other such
 * keys are unknown params like any other, and such ids load and save.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadText } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { codes } from '../helpers.ts';

/** A document as text, with `params` of the Dense node spliced in raw (JSON.parse makes `__proto__` an own key). */
function withDenseParams(params: string, version = 2): string {
  if (version === 1) {
    return `{"format":"gencomposer.graph","version":1,"name":"t","nodes":[{"id":"z","type":"Noise","params":{"shape":[4]}},{"id":"fc","type":"Dense","params":${params}}],"links":[{"from":"z:z","to":"fc:x"}]}`;
  }
  return `{"format":"gencomposer.graph","version":2,"meta":{"name":"t"},"nodes":[{"id":"z","kind":"Noise","params":{"shape":[4]},"position":{"x":0,"y":0}},{"id":"fc","kind":"Dense","params":${params},"position":{"x":0,"y":0}}],"edges":[{"id":"e","source":{"node":"z","port":"z"},"target":{"node":"fc","port":"x"}}]}`;
}

describe('__proto__ and friends in documents', () => {
  it('a __proto__ key in params is GC006 at its path, at any depth and in old versions', () => {
    for (const [params, path] of [
      ['{"__proto__":{"units":7}}', 'nodes[1].params.__proto__'],
      ['{"units":3,"extra":[{"__proto__":1}]}', 'nodes[1].params.extra[0].__proto__'],
      ['{"a":{"b":{"__proto__":null}}}', 'nodes[1].params.a.b.__proto__'],
    ] as const) {
      for (const version of [1, 2]) {
        const loaded = loadText(withDenseParams(params, version));
        expect(loaded.ok).toBe(false);
        if (!loaded.ok) expect(loaded.diagnostics).toContainEqual({ code: 'GC006', severity: 'error', message: 'Unrecognized key: "__proto__".', path });
      }
    }
  });

  it('the fixture with __proto__ in params is refused', () => {
    const loaded = loadText(readFileSync('tests/fixtures/broken/gc006-proto-in-params.json', 'utf8'));
    expect(loaded.ok ? [] : loaded.diagnostics.map((d) => `${d.code}@${d.path}`)).toEqual(['GC006@nodes[1].params.__proto__']);
  });

  it('other keys Object.prototype has are unknown params (GC107), never inherited values', () => {
    for (const key of ['constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf']) {
      const loaded = loadText(withDenseParams(`{"units":3,"${key}":5}`));
      expect(loaded.ok).toBe(true);
      if (!loaded.ok) continue;
      const analysis = analyze(loaded.document);
      expect(codes(analysis)).toContain('GC107@fc');
      expect(analysis.diagnostics.find((d) => d.code === 'GC107')!.message).toContain(key);
      // Saved and loaded back unchanged: the key is data, not a member.
      expect(saveDocument((loadText(saveDocument(loaded.document)) as { ok: true; document: typeof loaded.document }).document)).toBe(saveDocument(loaded.document));
    }
  });

  it('ids such as __proto__ and constructor load, analyse and save like others', () => {
    const named = (source: string, target: string, edge: string) =>
      `{"format":"gencomposer.graph","version":2,"meta":{"name":"t"},"nodes":[{"id":"${source}","kind":"Noise","params":{"shape":[4]},"position":{"x":0,"y":0}},{"id":"${target}","kind":"Dense","params":{"units":3},"position":{"x":0,"y":0}}],"edges":[{"id":"${edge}","source":{"node":"${source}","port":"z"},"target":{"node":"${target}","port":"x"}}]}`;
    const plain = loadText(named('z', 'fc', 'e'));
    const loaded = loadText(named('__proto__', 'constructor', 'toString'));
    expect(plain.ok && loaded.ok).toBe(true);
    if (!plain.ok || !loaded.ok) return;
    expect(loaded.document.nodes.map((n) => n.id)).toEqual(['__proto__', 'constructor']);
    const analysis = analyze(loaded.document);
    expect(codes(analysis)).toEqual(codes(analyze(plain.document)).map((c) => c.replace('@fc', '@constructor')));
    expect(analysis.nodes.get('constructor')!.outputs.y!.shape).toEqual(['B', 3]);
    const again = loadText(saveDocument(loaded.document));
    expect(again.ok && again.document).toEqual(loaded.document);
  });
});
