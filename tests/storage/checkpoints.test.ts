import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadText } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import type { CheckpointManifest } from '../../src/core/train/checkpoint.ts';
import { checkpointKey, checkpointKeys, indexedDbCheckpoints, storedCheckpoint } from '../../src/storage/checkpoints.ts';

function preset(name: string): GraphDocument {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error('does not load');
  return loaded.document;
}

describe('checkpoints in IndexedDB', () => {
  it('keys a model by what trains: moving nodes, renaming or asking for more steps keeps the key', () => {
    const vae = preset('vae');
    const key = checkpointKey(vae);
    const moved = { ...vae, nodes: vae.nodes.map((n) => ({ ...n, position: { x: n.position.x + 50, y: 3 } })) };
    expect(checkpointKey(moved)).toBe(key);
    expect(checkpointKey({ ...vae, meta: { ...vae.meta, name: 'Mine' }, training: { ...vae.training, steps: 99 } })).toBe(key);
    expect(checkpointKey({ ...vae, training: { ...vae.training, seed: 5 } })).not.toBe(key);
    expect(checkpointKey(preset('gan'))).not.toBe(key);
    // The worker keys the document it was sent, as text: the same key.
    const reloaded = loadText(saveDocument(vae));
    expect(reloaded.ok && checkpointKey(reloaded.document)).toBe(key);
  });

  it('keeps the keys of version 2 of the document, and how the graph is drawn (frames, compact cards) leaves them alone', () => {
    const vae = preset('vae');
    // The keys the app stored the VAE preset's checkpoints under before documents had frames (version 2).
    expect(checkpointKeys(vae)).toEqual(['6b123f5f', 'e8ef9ee3']);
    const drawn: GraphDocument = {
      ...vae,
      frames: [{ id: 'f', title: 'Encoder', color: 'blue', position: { x: 0, y: 0 }, size: { width: 300, height: 200 } }],
      nodes: vae.nodes.map((n, i) => (i === 0 ? { ...n, collapsed: true } : n)),
    };
    expect(checkpointKeys(drawn)).toEqual(checkpointKeys(vae));
  });

  it("keeps the key when a sampler's params change, and finds checkpoints stored under the key that held them", async () => {
    const vae = preset('vae');
    const key = checkpointKey(vae);
    const moreSamples = { ...vae, nodes: vae.nodes.map((n) => (n.kind === 'PriorSampler' ? { ...n, params: { ...n.params, count: 5 } } : n)) };
    expect(checkpointKey(moreSamples)).toBe(key);
    const [current, older] = checkpointKeys(vae);
    expect(current).toBe(key);
    expect(older).toBeDefined();
    expect(older).not.toBe(key);
    // A graph without a sampler has one key.
    expect(checkpointKeys(preset('mnist-classifier'))).toHaveLength(1);
    const store = indexedDbCheckpoints('test-older-keys');
    const manifest = { format: 'gencomposer.checkpoint', version: 1, step: 3, optimizerSteps: [], graph: 'x', weightsManifest: [{ paths: ['weights.bin'], weights: [] }] } as CheckpointManifest;
    expect(await storedCheckpoint(store, checkpointKeys(vae))).toEqual({ key });
    await store.save(older!, { manifest, weights: new ArrayBuffer(0) }, { step: 3, savedAt: 'then', graph: 'g' });
    expect(await storedCheckpoint(store, checkpointKeys(vae))).toEqual({ key: older, info: { step: 3, savedAt: 'then', graph: 'g' } });
    await store.save(key, { manifest, weights: new ArrayBuffer(0) }, { step: 4, savedAt: 'now', graph: 'g' });
    expect((await storedCheckpoint(store, checkpointKeys(vae))).key).toBe(key);
  });

  it('stores the weights and a small info record per key', async () => {
    const store = indexedDbCheckpoints('test-checkpoints');
    const manifest = { format: 'gencomposer.checkpoint', version: 1, step: 7, optimizerSteps: [], graph: 'x', weightsManifest: [{ paths: ['weights.bin'], weights: [] }] } as CheckpointManifest;
    expect(await store.info('k')).toBeUndefined();
    await store.save('k', { manifest, weights: new Float32Array([1, 2]).buffer }, { step: 7, savedAt: 'now', graph: 'g' });
    expect(await store.info('k')).toEqual({ step: 7, savedAt: 'now', graph: 'g' });
    const loaded = await store.load('k');
    expect(loaded?.manifest.step).toBe(7);
    expect([...new Float32Array(loaded!.weights)]).toEqual([1, 2]);
    await store.remove('k');
    expect(await store.load('k')).toBeUndefined();
  });
});
