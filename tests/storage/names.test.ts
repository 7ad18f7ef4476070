/**
 * What earlier versions stored stays where they put it: a renamed database,
 * store or key would leave people's checkpoints, files and graph behind.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointManifest } from '../../src/core/train/checkpoint.ts';
import { readAutosaved, setAutosaveStore, writeAutosaved } from '../../src/storage/autosave-store.ts';
import { CHECKPOINT_DB, indexedDbCheckpoints } from '../../src/storage/checkpoints.ts';
import { attachUserFile, readAttachedFile, setUserFileStore } from '../../src/storage/user-files.ts';
import { bytes } from '../data/user-file-helpers.ts';
import { makeDocument } from '../helpers.ts';

/** Reads one record straight from IndexedDB, by the names the stores use. */
function stored(dbName: string, storeName: string, key: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      try {
        const get = db.transaction(storeName, 'readonly').objectStore(storeName).get(key);
        get.onsuccess = () => resolve(get.result);
        get.onerror = () => reject(get.error);
      } catch (error) {
        reject(error);
      } finally {
        db.close();
      }
    };
  });
}

/** Writes one record straight into IndexedDB, as an earlier version would have. */
function put(dbName: string, storeName: string, key: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(storeName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(storeName, 'readwrite');
      tx.objectStore(storeName).put(value, key);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

describe('stored names', () => {
  afterEach(() => {
    setUserFileStore(undefined);
    setAutosaveStore(undefined);
  });

  it('keeps attached files in gencomposer-user-files / files, by file name', async () => {
    await attachUserFile('rows.csv', bytes('1,2\n'));
    expect(await stored('gencomposer-user-files', 'files', 'rows.csv')).toMatchObject({ name: 'rows.csv', bytes: expect.any(Uint8Array) });
  });

  it('keeps the autosaved graph in gencomposer / autosave under "current", and reads one saved there before', async () => {
    const doc = makeDocument([{ id: 'x', kind: 'Input', params: { shape: [2] } }]);
    await writeAutosaved(doc);
    expect(await stored('gencomposer', 'autosave', 'current')).toMatchObject({ savedAt: expect.any(String), document: { nodes: [{ id: 'x' }] } });
    await put('gencomposer', 'autosave', 'current', { savedAt: 'earlier', document: { written: 'before' } });
    expect(await readAutosaved()).toEqual({ document: { written: 'before' } });
  });

  it('reads a file attached by an earlier version', async () => {
    await put('gencomposer-user-files', 'files', 'old.txt', { name: 'old.txt', savedAt: 'earlier', bytes: bytes('abc\n') });
    expect(new TextDecoder().decode((await readAttachedFile('old.txt')) as Uint8Array)).toBe('abc\n');
  });

  it('keeps checkpoints in gencomposer-checkpoints / checkpoints as info:<key> and weights:<key>', async () => {
    expect(CHECKPOINT_DB).toBe('gencomposer-checkpoints');
    const manifest = { format: 'gencomposer.checkpoint', version: 1, step: 3, optimizerSteps: [], graph: 'g', weightsManifest: [] } as unknown as CheckpointManifest;
    await indexedDbCheckpoints().save('k1', { manifest, weights: new Float32Array([1]).buffer }, { step: 3, savedAt: 'now', graph: 'g' });
    expect(await stored('gencomposer-checkpoints', 'checkpoints', 'info:k1')).toEqual({ step: 3, savedAt: 'now', graph: 'g' });
    expect(await stored('gencomposer-checkpoints', 'checkpoints', 'weights:k1')).toMatchObject({ manifest: { step: 3 } });
  });
});
