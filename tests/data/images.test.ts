import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { readImages } from '../../src/core/data/images.ts';
import { decodePngInto, pngSize } from '../../src/core/data/png-image.ts';
import { UserDataError, type UserFolder } from '../../src/core/data/user-file.ts';
import { bytes, png, zip } from './user-file-helpers.ts';

const grey = (params: Partial<Parameters<typeof readImages>[2]> = {}) => ({ height: 2, width: 2, channels: 1 as const, labels: 'none' as const, ...params });

describe('images from a zip or folder of PNGs', () => {
  it('reads grey PNGs in path order, skipping a wrapper folder and bookkeeping entries', async () => {
    const file = zip({
      'digits/b.png': png(2, 2, [5, 6, 7, 8]),
      'digits/a.png': png(2, 2, [1, 2, 3, 4]),
      'digits/notes.txt': bytes('not an image'),
      '__MACOSX/digits/._a.png': bytes('resource fork'),
      'digits/.DS_Store': bytes('x'),
    });
    const set = await readImages(file, 'digits.zip', grey());
    expect(set.count).toBe(2);
    expect(Array.from(set.pixels)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(set.labels).toBeUndefined();
  });

  it('labels images by their class folder, classes sorted', async () => {
    const file = zip({
      'set/zebra/1.png': png(2, 2, [9, 9, 9, 9]),
      'set/cat/1.png': png(2, 2, [1, 1, 1, 1]),
      'set/cat/2.png': png(2, 2, [2, 2, 2, 2]),
    });
    const set = await readImages(file, 'animals.zip', grey({ labels: 'folders' }));
    expect(set.classes).toEqual(['cat', 'zebra']);
    expect(Array.from(set.labels!)).toEqual([0, 0, 1]);
    expect(Array.from(set.pixels)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 9, 9, 9, 9]);
    // Class folders at the top of the archive are classes, not a wrapper.
    const top = await readImages(zip({ 'a/1.png': png(2, 2, [0, 0, 0, 0]), 'b/1.png': png(2, 2, [0, 0, 0, 0]) }), 'top.zip', grey({ labels: 'folders' }));
    expect(top.classes).toEqual(['a', 'b']);
    await expect(readImages(zip({ 'a/1.png': png(2, 2, [0, 0, 0, 0]), 'loose.png': png(2, 2, [0, 0, 0, 0]) }), 'mixed.zip', grey({ labels: 'folders' }))).rejects.toThrow(
      'mixed.zip: loose.png is not inside a class folder',
    );
  });

  it('names the entry whose size differs from the declared one', async () => {
    const file = zip({ 'a.png': png(2, 2, [0, 0, 0, 0]), 'b.png': png(3, 2, [0, 0, 0, 0, 0, 0]) });
    await expect(readImages(file, 'x.zip', grey())).rejects.toThrow('x.zip: b.png is 3x2 (width x height); the Data node declares 2x2, and every image must have that size');
  });

  it('converts colour types: grey into RGB, 16-bit, alpha dropped; colour into grey is an error', async () => {
    const rgb = await readImages(zip({ 'g.png': png(2, 1, [10, 20]) }), 'g.zip', grey({ height: 1, channels: 3 }));
    expect(Array.from(rgb.pixels)).toEqual([10, 10, 10, 20, 20, 20]);
    const rgba = await readImages(zip({ 'c.png': png(1, 1, [1, 2, 3, 255], 4) }), 'c.zip', grey({ height: 1, width: 1, channels: 3 }));
    expect(Array.from(rgba.pixels)).toEqual([1, 2, 3]);
    const deep = await readImages(zip({ 'd.png': png(2, 1, [0x1234, 0xff00], 1, 16) }), 'd.zip', grey({ height: 1 }));
    expect(Array.from(deep.pixels)).toEqual([0x12, 0xff]);
    const greyAlpha = await readImages(zip({ 'ga.png': png(1, 1, [77, 0], 2) }), 'ga.zip', grey({ height: 1, width: 1 }));
    expect(Array.from(greyAlpha.pixels)).toEqual([77]);
    await expect(readImages(zip({ 'c.png': png(1, 1, [1, 2, 3], 3) }), 'c.zip', grey({ height: 1, width: 1 }))).rejects.toThrow('c.zip: c.png is a colour image; the Data node declares 1 channel (grey): set channels to 3');
  });

  it('scales 1-bit greys and looks up palettes', () => {
    // 1-bit, 3 pixels wide: each row is one byte, padded.
    const bits = encode({ width: 3, height: 2, data: Uint8Array.from([0b10100000, 0b01000000]), depth: 1, channels: 1 });
    const out = new Uint8Array(6);
    decodePngInto(bits, 'bits.png', { height: 2, width: 3, channels: 1 }, out, 0);
    expect(Array.from(out)).toEqual([255, 0, 255, 0, 255, 0]);
    const indexed = encode({ width: 2, height: 1, data: Uint8Array.from([1, 0]), depth: 8, channels: 1, palette: [[10, 20, 30], [40, 50, 60]] });
    const rgb = new Uint8Array(6);
    decodePngInto(indexed, 'p.png', { height: 1, width: 2, channels: 3 }, rgb, 0);
    expect(Array.from(rgb)).toEqual([40, 50, 60, 10, 20, 30]);
  });

  it('reads a folder (the CLI hands folders over entry by entry)', async () => {
    const files: Record<string, Uint8Array> = { 'one/x.png': png(2, 2, [4, 3, 2, 1]), 'two/y.png': png(2, 2, [1, 2, 3, 4]) };
    const folder: UserFolder = { kind: 'folder', entries: Object.entries(files).map(([path, data]) => ({ path, size: data.length, read: async () => data })) };
    const set = await readImages(folder, 'pics', grey({ labels: 'folders' }));
    expect([set.classes, Array.from(set.labels!)]).toEqual([['one', 'two'], [0, 1]]);
  });

  it('says clearly what is wrong with the archive and its entries', async () => {
    await expect(readImages(bytes('hello'), 'not.zip', grey())).rejects.toThrow('not.zip is not a zip archive');
    await expect(readImages(zip({ 'a.txt': bytes('x') }), 'empty.zip', grey())).rejects.toThrow('empty.zip holds no PNG images');
    await expect(readImages(zip({ 'a.jpg': bytes('x') }), 'j.zip', grey())).rejects.toThrow('j.zip: a.jpg is not a PNG; only PNG images are read');
    await expect(readImages(zip({ 'a.png': bytes('x') }), 'f.zip', grey())).rejects.toThrow('f.zip: a.png is not a PNG image');
    const damaged = png(2, 2, [0, 0, 0, 0]).slice(0, 40);
    await expect(readImages(zip({ 'a.png': damaged }), 'd.zip', grey())).rejects.toThrow(/d\.zip: a\.png is a damaged PNG/);
    const cut = zip({ 'a.png': png(2, 2, [0, 0, 0, 0]) }).slice(0, 30);
    await expect(readImages(cut, 'cut.zip', grey())).rejects.toThrow(UserDataError);
  });

  it('reads the declared size from the header before decoding', () => {
    expect(pngSize(png(5, 3, new Array(15).fill(0)))).toEqual({ width: 5, height: 3 });
    expect(pngSize(bytes('nope'))).toBeUndefined();
  });
});
