/**
 * Sharing in the editor without a browser: opening files (JSON, PNG, broken
 * ones), links in the address, autosave and the picture's geometry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadText } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { emptyDocument, LATEST_VERSION, type GraphDocument } from '../../src/core/graph/schema.ts';
import { embedGraphInPng, encodeLink, toBase64Url } from '../../src/core/graph/share.ts';
import { deflateSync } from 'fflate';
import { firstSentence, PRESETS } from '../../src/ui/gallery/presets.ts';
import { useNotices } from '../../src/ui/notices.ts';
import { setAutosaveStore } from '../../src/storage/autosave-store.ts';
import type { KeyValueStore } from '../../src/storage/key-value.ts';
import { AUTOSAVE_DELAY_MS, restoreAutosaved, startAutosave } from '../../src/ui/persistence/autosave.ts';
import { fileStem } from '../../src/ui/sharing/downloads.ts';
import { drawPicture, edgeCurve, layoutPicture } from '../../src/ui/sharing/graph-picture.ts';
import { documentFromLocation, forgetStaleLink, openFromLocation, writeLink } from '../../src/ui/sharing/link.ts';
import { openGraphFile } from '../../src/ui/sharing/open-file.ts';
import { getEditor } from '../../src/ui/store/editor-store.ts';

function preset(name: string): GraphDocument {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.document;
}

const notices = () => useNotices.getState().notices;
const lastNotice = () => notices().at(-1);

function pngWith(doc?: GraphDocument): Uint8Array {
  const png = new PNG({ width: 2, height: 2 });
  png.data.fill(200);
  const bytes = new Uint8Array(PNG.sync.write(png));
  if (!doc) return bytes;
  const embedded = embedGraphInPng(bytes, doc);
  if (!embedded.ok) throw new Error(embedded.error.message);
  return embedded.png;
}

const file = (content: string | Uint8Array, name: string) => new File([content as BlobPart], name);

beforeEach(() => {
  getEditor().replaceDocument(emptyDocument('Before'));
  useNotices.setState({ notices: [] });
});

describe('opening files', () => {
  it('opens a JSON graph and says so', async () => {
    const vae = preset('vae');
    await openGraphFile(file(saveDocument(vae), 'vae.json'));
    expect(saveDocument(getEditor().document)).toBe(saveDocument(vae));
    expect(lastNotice()).toMatchObject({ kind: 'info' });
    expect(lastNotice()?.text).toContain('MLP VAE on MNIST');
  });

  it('keeps the previous graph one Undo away', async () => {
    await openGraphFile(file(saveDocument(preset('gan')), 'gan.json'));
    getEditor().undo();
    expect(getEditor().document.meta.name).toBe('Before');
  });

  it('opens a PNG picture that carries a graph, whatever its name', async () => {
    const flow = preset('flow');
    await openGraphFile(file(pngWith(flow), 'renamed.bin'));
    expect(saveDocument(getEditor().document)).toBe(saveDocument(flow));
  });

  it('upgrades an older document and says from which version', async () => {
    const v1 = { format: 'gencomposer.graph', version: 1, name: 'old', nodes: [{ id: 'z', type: 'Noise', params: {}, x: 0, y: 0 }], links: [] };
    await openGraphFile(file(JSON.stringify(v1), 'old.json'));
    expect(getEditor().document.meta.name).toBe('old');
    expect(getEditor().document.version).toBe(LATEST_VERSION);
    expect(lastNotice()?.text).toMatch(/upgraded from version 1/);
  });

  it('opens nothing from a broken file and names the problem and its path', async () => {
    const before = saveDocument(getEditor().document);
    const broken = readFileSync('tests/fixtures/broken/gc006-schema-bad-position.json', 'utf8');
    await openGraphFile(file(broken, 'broken.json'));
    expect(saveDocument(getEditor().document)).toBe(before);
    const notice = lastNotice();
    expect(notice?.kind).toBe('error');
    expect(notice?.text).toContain('“broken.json”');
    expect(notice?.text).toContain('current graph is unchanged');
    expect(notice?.text).toContain('nodes[0].position.x');
    expect(notice?.text).toContain('GC006');
  });

  it('lists the first few problems and counts the rest', async () => {
    const doc = JSON.parse(saveDocument(preset('vae')));
    for (const node of doc.nodes) node.position.x = 'left';
    await openGraphFile(file(JSON.stringify(doc), 'many.json'));
    const text = lastNotice()?.text ?? '';
    expect(text.match(/^•/gm)?.length).toBe(4);
    expect(text).toMatch(/and \d+ more problems/);
  });

  it('explains non-graph files: not JSON, binary, a PNG without a graph, a damaged PNG', async () => {
    const before = saveDocument(getEditor().document);
    const damaged = pngWith(preset('vae'));
    damaged[damaged.length - 30]! ^= 1;
    const cases: [File, RegExp][] = [
      [file('{ nope', 'a.json'), /not valid JSON/],
      [file(new Uint8Array([0, 255, 254, 1]), 'b.bin'), /neither a graph/],
      [file(pngWith(), 'photo.png'), /holds no GenComposer graph/],
      [file(damaged, 'damaged.png'), /damaged/],
    ];
    for (const [f, message] of cases) {
      await openGraphFile(f);
      expect(lastNotice()?.kind).toBe('error');
      expect(lastNotice()?.text).toMatch(message);
    }
    expect(saveDocument(getEditor().document)).toBe(before);
  });
});

describe('links in the address', () => {
  let href = 'http://127.0.0.1/';
  beforeEach(() => {
    href = 'http://127.0.0.1/';
    const loc = {
      get href() {
        return href;
      },
      get hash() {
        const at = href.indexOf('#');
        return at < 0 ? '' : href.slice(at);
      },
      pathname: '/',
      search: '',
    };
    vi.stubGlobal('location', loc);
    vi.stubGlobal('history', { state: null, replaceState: (_: unknown, __: string, url: string) => (href = `http://127.0.0.1${url}`) });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('reads a graph link, and nothing from other hashes', () => {
    expect(documentFromLocation()).toBeUndefined();
    href = 'http://127.0.0.1/#section';
    expect(documentFromLocation()).toBeUndefined();
    const encoded = encodeLink(preset('transformer'));
    if (!encoded.ok) throw new Error(encoded.error.message);
    href = `http://127.0.0.1/${encoded.hash}`;
    const doc = documentFromLocation();
    expect(doc && 'meta' in doc && saveDocument(doc)).toBe(saveDocument(preset('transformer')));
  });

  it('gives a message for a broken link', () => {
    href = 'http://127.0.0.1/#graph=v1.AAAA';
    const result = documentFromLocation();
    expect(result && 'error' in result && result.error).toMatch(/damaged/);
  });

  it('opens a link in the editor and says which version it was upgraded from', () => {
    const v1 = { format: 'gencomposer.graph', version: 1, name: 'linked v1', nodes: [], links: [] };
    href = `http://127.0.0.1/#graph=v1.${toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(v1))))}`;
    expect(openFromLocation()).toBe('opened');
    expect(getEditor().document.meta.name).toBe('linked v1');
    expect(lastNotice()?.text).toBe(`Opened “linked v1” from the link, upgraded from version 1 to version ${LATEST_VERSION}.`);
    href = 'http://127.0.0.1/#graph=v1.broken!';
    expect(openFromLocation()).toBe('broken');
    expect(getEditor().document.meta.name).toBe('linked v1');
    expect(lastNotice()?.kind).toBe('error');
    href = 'http://127.0.0.1/';
    expect(openFromLocation()).toBe('none');
  });

  it('writes the link into the address and drops it once the graph is edited', () => {
    const gan = preset('gan');
    const written = writeLink(gan);
    expect(written.ok && written.url).toMatch(/^http:\/\/127\.0\.0\.1\/#graph=v1\./);
    forgetStaleLink(gan);
    expect(href).toContain('#graph=');
    forgetStaleLink({ ...gan, meta: { ...gan.meta, name: 'changed' } });
    expect(href).toBe('http://127.0.0.1/');
  });
});

describe('autosave', () => {
  let stored: Map<string, unknown>;
  const memory: KeyValueStore = {
    get: async (key) => stored.get(key),
    set: async (key, value) => void stored.set(key, structuredClone(value)),
    delete: async (key) => void stored.delete(key),
  };
  beforeEach(() => {
    stored = new Map();
    setAutosaveStore(memory);
  });
  afterEach(() => {
    vi.useRealTimers();
    setAutosaveStore(undefined);
  });

  it('saves a moment after changes, once for a burst, and restores it', async () => {
    vi.useFakeTimers();
    const stop = startAutosave();
    const sets = vi.spyOn(memory, 'set');
    getEditor().replaceDocument(preset('vae'));
    getEditor().edit((doc) => void (doc.meta.name = 'edited once'));
    getEditor().edit((doc) => void (doc.meta.name = 'edited twice'));
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 100);
    expect(sets).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    expect(sets).toHaveBeenCalledTimes(1);
    stop();
    const saved = saveDocument(getEditor().document);
    getEditor().replaceDocument(emptyDocument());
    expect(await restoreAutosaved()).toBe(true);
    expect(saveDocument(getEditor().document)).toBe(saved);
    expect(getEditor().document.meta.name).toBe('edited twice');
  });

  it('keeps a graph opened before it started', async () => {
    vi.useFakeTimers();
    const stop = startAutosave();
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS + 10);
    stop();
    expect(stored.get('current')).toMatchObject({ document: { meta: { name: 'Before' } } });
  });

  it('has nothing to restore on a first visit', async () => {
    expect(await restoreAutosaved()).toBe(false);
    expect(notices()).toEqual([]);
  });

  it('ignores a corrupt stored value with a notice', async () => {
    for (const value of [{ savedAt: 'x', document: { format: 'gencomposer.graph', version: 3, nodes: 7 } }, 'garbage', { other: 1 }]) {
      stored.set('current', value);
      expect(await restoreAutosaved()).toBe(false);
      expect(lastNotice()?.kind).toBe('error');
      expect(lastNotice()?.text).toMatch(/autosaved graph is damaged/);
      expect(getEditor().document.meta.name).toBe('Before');
    }
  });

  it('says once when storage fails', async () => {
    vi.useFakeTimers();
    setAutosaveStore({ ...memory, set: async () => Promise.reject(new Error('quota exceeded')) });
    const stop = startAutosave();
    getEditor().edit((doc) => void (doc.meta.name = 'a'));
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS + 10);
    getEditor().edit((doc) => void (doc.meta.name = 'b'));
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS + 10);
    stop();
    expect(notices().filter((n) => n.text.includes('quota exceeded')).length).toBe(1);
  });
});

describe('gallery presets', () => {
  it('holds every preset of graph-presets/, in family order', () => {
    const files = readdirSync('graph-presets').filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect(PRESETS.map((p) => p.id).sort()).toEqual(files.sort());
    const order = ['vae', 'gan', 'transformer', 'rnn', 'flow', 'diffusion', 'custom'];
    const ranks = PRESETS.map((p) => order.indexOf(p.document.meta.family));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const p of PRESETS) expect(p.summary.length).toBeGreaterThan(20);
  });

  it('summarises a description by its first sentence', () => {
    expect(firstSentence('The GAN of Radford et al. (2016) on MNIST. More here.')).toBe('The GAN of Radford et al. (2016) on MNIST.');
    expect(firstSentence('No dot at all')).toBe('No dot at all');
  });
});

describe('the picture of a graph', () => {
  it('places every node at its position and every edge between its ports', () => {
    for (const p of PRESETS) {
      const layout = layoutPicture(p.document);
      expect(layout.nodes.map((n) => [n.x, n.y])).toEqual(p.document.nodes.map((n) => [n.position.x, n.position.y]));
      expect(layout.edges.length).toBe(p.document.edges.length);
      for (const edge of layout.edges) {
        const source = p.document.edges.find((e) => e.id === edge.id)!;
        const from = layout.nodes.find((n) => n.view.id === source.source.node)!;
        const to = layout.nodes.find((n) => n.view.id === source.target.node)!;
        expect(edge.from.x).toBe(from.x + from.width);
        expect(edge.to.x).toBe(to.x);
        expect(edge.from.y).toBeGreaterThan(from.y);
        expect(edge.from.y).toBeLessThan(from.y + from.height);
        expect(edge.to.y).toBeGreaterThan(to.y);
        expect(edge.to.y).toBeLessThan(to.y + to.height);
      }
      for (const n of layout.nodes) {
        expect(n.x).toBeGreaterThanOrEqual(layout.bounds.x);
        expect(n.x + n.width).toBeLessThanOrEqual(layout.bounds.x + layout.bounds.width);
        expect(n.y + n.height).toBeLessThanOrEqual(layout.bounds.y + layout.bounds.height);
      }
    }
  });

  it('draws unknown kinds, problems and dangling edges without failing', () => {
    const doc: GraphDocument = {
      ...emptyDocument('odd'),
      nodes: [
        { id: 'a', kind: 'Bogus', params: {}, position: { x: 0, y: 0 } },
        { id: 'z', kind: 'Noise', params: { shape: [4] }, position: { x: 0, y: 200 } },
        { id: 'b', kind: 'Dense', label: 'hidden', params: { units: -3 }, position: { x: 300, y: 0 } },
      ],
      edges: [
        { id: 'e1', source: { node: 'z', port: 'x' }, target: { node: 'b', port: 'x' } },
        { id: 'e2', source: { node: 'a', port: 'out' }, target: { node: 'gone', port: 'x' } },
      ],
    };
    const layout = layoutPicture(doc);
    expect(layout.nodes.map((n) => n.view.title)).toEqual(['Bogus', 'Noise', 'Dense']);
    expect(layout.nodes[2]!.view.severity).toBe('error');
    // A recording stand-in for a 2D context: every method exists and is counted.
    const texts: string[] = [];
    const ctx = new Proxy({} as Record<string | symbol, unknown>, {
      get: (target, key) => {
        if (key === 'fillText') return (t: string) => texts.push(t);
        if (key === 'measureText') return (t: string) => ({ width: t.length * 7 });
        return key in target ? target[key] : () => undefined;
      },
      set: (target, key, value) => {
        target[key] = value;
        return true;
      },
    }) as unknown as CanvasRenderingContext2D;
    drawPicture(ctx, layout);
    expect(texts).toContain('Bogus');
    expect(texts).toContain('Dense');
    expect(texts).toContain('hidden');
    expect(texts.some((t) => t.startsWith('Parameter'))).toBe(true);
  });

  it('bends edges horizontally out of and into ports', () => {
    const [x0, y0, c1x, c1y, c2x, c2y, x1, y1] = edgeCurve({ x: 0, y: 0 }, { x: 300, y: 100 });
    expect([x0, y0, x1, y1]).toEqual([0, 0, 300, 100]);
    expect(c1y).toBe(0);
    expect(c2y).toBe(100);
    expect(c1x).toBeGreaterThan(0);
    expect(c2x).toBeLessThan(300);
  });
});

describe('file names', () => {
  it('come from the graph name', () => {
    expect(fileStem('MLP VAE on MNIST')).toBe('mlp-vae-on-mnist');
    expect(fileStem('Café: DDPM (v2)')).toBe('cafe-ddpm-v2');
    expect(fileStem('???')).toBe('graph');
    expect(fileStem('x'.repeat(100)).length).toBe(60);
  });
});
