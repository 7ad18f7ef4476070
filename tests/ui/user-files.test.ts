import { afterEach, describe, expect, it } from 'vitest';
import { UserFileMissingError } from '../../src/core/data/user-file.ts';
import type { KeyValueStore } from '../../src/ui/persistence/indexed-db.ts';
import { attachUserFile, readAttachedFile, setUserFileStore } from '../../src/ui/persistence/user-files.ts';
import { reportUserFile } from '../../src/ui/inspector/user-file-summary.ts';
import { bytes, png, zip } from '../data/user-file-helpers.ts';

function mapStore(): KeyValueStore & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: async (k) => map.get(k), set: async (k, v) => void map.set(k, v), delete: async (k) => void map.delete(k) };
}

describe('attached data files (browser storage)', () => {
  afterEach(() => setUserFileStore(undefined));

  it('keeps a picked file under a safe name and reads it back', async () => {
    const store = mapStore();
    setUserFileStore(store);
    const name = await attachUserFile('my rows [v2].csv', bytes('1,2\n'));
    expect(name).toBe('my rows -v2-.csv');
    expect(new TextDecoder().decode((await readAttachedFile(name)) as Uint8Array)).toBe('1,2\n');
    expect(store.map.get(name)).toMatchObject({ name, bytes: expect.any(Uint8Array) });
  });

  it('says how to attach a file that is not there, and distrusts odd stored values', async () => {
    const store = mapStore();
    setUserFileStore(store);
    await expect(readAttachedFile('rows.csv')).rejects.toThrow(UserFileMissingError);
    await expect(readAttachedFile('rows.csv')).rejects.toThrow('the data file "rows.csv" is not attached in this browser: select the Data node and attach it in the inspector');
    store.map.set('odd.csv', { bytes: 'not bytes' });
    await expect(readAttachedFile('odd.csv')).rejects.toThrow(UserFileMissingError);
  });

  it("reports a summary of the file, or the reason it does not fit the node's params", async () => {
    setUserFileStore(mapStore());
    await attachUserFile('rows.csv', bytes('a,b\n1,2\n3,4\n'));
    await attachUserFile('pics.zip', zip({ 'cat/a.png': png(2, 2, [0, 1, 2, 3]), 'dog/b.png': png(2, 2, [0, 1, 2, 3]) }));
    expect(await reportUserFile({ dataset: 'csv', file: 'rows.csv' }, readAttachedFile)).toEqual({ ok: true, summary: '2 rows × 2 columns (with a header)' });
    expect(await reportUserFile({ dataset: 'csv', file: 'rows.csv', columns: 3 }, readAttachedFile)).toEqual({ ok: false, error: expect.stringContaining('rows.csv line 1 has 2 fields') });
    expect(await reportUserFile({ dataset: 'images', file: 'pics.zip', height: 2, width: 2, labels: 'folders' }, readAttachedFile)).toEqual({ ok: true, summary: '2 images of 2×2×1, 2 classes' });
    expect(await reportUserFile({ dataset: 'text', file: 'gone.txt' }, readAttachedFile)).toEqual({ ok: false, error: expect.stringContaining('"gone.txt" is not attached') });
    // Nothing to say for shipped datasets, a node with no file yet, or params that do not parse.
    expect(await reportUserFile({ dataset: 'mnist' }, readAttachedFile)).toBeUndefined();
    expect(await reportUserFile({ dataset: 'csv' }, readAttachedFile)).toBeUndefined();
    expect(await reportUserFile({ dataset: 'csv', file: '../x' }, readAttachedFile)).toBeUndefined();
  });
});
