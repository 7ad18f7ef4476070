import { afterEach, describe, expect, it } from 'vitest';
import { UserFileMissingError } from '../../src/core/data/user-file.ts';
import { attachUserFile, readAttachedFile, setUserFileStore } from '../../src/storage/user-files.ts';
import { bytes } from '../data/user-file-helpers.ts';
import { mapStore } from './map-store.ts';

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
});
