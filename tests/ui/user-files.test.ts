import { afterEach, describe, expect, it } from 'vitest';
import { attachUserFile, readAttachedFile, setUserFileStore } from '../../src/storage/user-files.ts';
import { reportUserFile } from '../../src/ui/inspector/user-file-summary.ts';
import { bytes, png, zip } from '../data/user-file-helpers.ts';
import { mapStore } from '../storage/map-store.ts';

describe("the inspector's summary of an attached file", () => {
  afterEach(() => setUserFileStore(undefined));

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
