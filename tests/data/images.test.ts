import { zlibSync } from 'fflate';
import { encode } from 'fast-png';
import { describe, expect, it, vi } from 'vitest';
import { readImages } from '../../src/core/data/images.ts';
import { decodePngInto, pngDataBytes, pngSize } from '../../src/core/data/png-image.ts';
import { UserDataError, type UserFolder } from '../../src/core/data/user-file.ts';
import { USER_DATA_LIMITS } from '../../src/core/data/user-limits.ts';
import { bytes, claimZipSize, ihdr, png, pngChunks, pngFromChunks, zip } from './user-file-helpers.ts';
import { compressedBytesFed } from '../inflate-count.ts';

// What fast-png is handed, to check which chunks reach it.
const decoded = vi.hoisted(() => [] as Uint8Array[]);
vi.mock('fast-png', async (importOriginal) => {
  const real = await importOriginal<typeof import('fast-png')>();
  return { ...real, decode: (data: Uint8Array, options?: Parameters<typeof real.decode>[1]) => (decoded.push(data), real.decode(data, options)) };
});

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

/** Chunk types in order; CRCs are not checked (the copy fast-png gets has none). */
function chunkTypes(file: Uint8Array): string[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const types: string[] = [];
  for (let at = 8; at + 8 <= file.length; at += 12 + view.getUint32(at)) types.push(String.fromCharCode(...file.subarray(at + 4, at + 8)));
  return types;
}

describe('hostile PNGs', () => {
  const decode = (file: Uint8Array, shape = { height: 1, width: 1, channels: 1 as const }) => decodePngInto(file, 'h.png', shape, new Uint8Array(shape.height * shape.width * shape.channels), 0);
  const sixteenMB = () => zlibSync(new Uint8Array(16 << 20), { level: 9 });

  it('stops inflating pixel data one byte past what a 1 x 1 header declares', async () => {
    const idat = sixteenMB();
    const bomb = pngFromChunks([['IHDR', ihdr(1, 1)], ['IDAT', idat], ['IEND', new Uint8Array()]]);
    const fed = await compressedBytesFed(() =>
      expect(() => decode(bomb)).toThrow('h.png: its pixel data unpacks to more than the 2 bytes its header declares; the file is damaged or hostile, so it is not read'),
    );
    // One step of input (4 KB, a few MB out) is past the bound: the rest of the 16 MB is never inflated.
    expect(fed).toBeLessThan(idat.length / 2);
  });

  it('refuses a 60000 x 60000 header against the declared shape before reading any pixel data', () => {
    const huge = pngFromChunks([['IHDR', ihdr(60000, 60000)], ['IDAT', sixteenMB()], ['IEND', new Uint8Array()]]);
    expect(() => decode(huge, { height: 28, width: 28, channels: 1 })).toThrow('h.png is 60000x60000 (width x height); the Data node declares 28x28');
  });

  it('never inflates compressed metadata (iCCP, zTXt, iTXt), and decodes the image beside it', () => {
    const [header, ...rest] = pngChunks(png(2, 1, [10, 20]));
    const bomb = sixteenMB();
    const keyword = (k: string, extra: number[]) => Uint8Array.from([...new TextEncoder().encode(k), 0, ...extra, ...bomb]);
    const hostile = pngFromChunks([header!, ['iCCP', keyword('icc', [0])], ['zTXt', keyword('Comment', [0])], ['iTXt', keyword('Comment', [1, 0, 0, 0])], ...rest]);
    const out = new Uint8Array(2);
    decodePngInto(hostile, 'meta.png', { height: 1, width: 2, channels: 1 }, out, 0);
    expect(Array.from(out)).toEqual([10, 20]);
    expect(chunkTypes(decoded.at(-1)!)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('refuses pixel data that is short, and header fields PNG does not define', () => {
    const short = pngFromChunks([['IHDR', ihdr(2, 2)], ['IDAT', zlibSync(new Uint8Array(3))], ['IEND', new Uint8Array()]]);
    expect(() => decode(short, { height: 2, width: 2, channels: 1 })).toThrow('h.png is a damaged PNG (its pixel data is short)');
    const odd = pngFromChunks([['IHDR', ihdr(1, 1, { depth: 3 })], ['IDAT', zlibSync(new Uint8Array(2))], ['IEND', new Uint8Array()]]);
    expect(() => decode(odd)).toThrow('colour type 0 at 3 bits, which PNG does not define');
    const noData = pngFromChunks([['IHDR', ihdr(1, 1)], ['IEND', new Uint8Array()]]);
    expect(() => decode(noData)).toThrow('h.png is a damaged PNG (it has no pixel data)');
  });

  it('bounds interlaced (Adam7) images by their seven passes, and decodes them', () => {
    // 8 x 8 grey: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4 and 8x4 pixels, each row with a filter byte.
    expect(pngDataBytes(8, 8, 1, 8, true)).toBe(2 + 2 + 3 + 6 + 10 + 20 + 36);
    expect(pngDataBytes(1, 1, 3, 16, true)).toBe(1 + 6);
    expect(pngDataBytes(3, 2, 1, 1, false)).toBe(2 * (1 + 1));
    // A 3 x 3 interlaced image of values 0..8, written pass by pass with no filtering.
    const passes = [
      [0, 0, 8, 8],
      [4, 0, 8, 8],
      [0, 4, 4, 8],
      [2, 0, 4, 4],
      [0, 2, 2, 4],
      [1, 0, 2, 2],
      [0, 1, 1, 2],
    ];
    const raw: number[] = [];
    for (const [x0, y0, dx, dy] of passes) {
      for (let y = y0!; y < 3; y += dy!) {
        const row: number[] = [];
        for (let x = x0!; x < 3; x += dx!) row.push(y * 3 + x);
        if (row.length > 0) raw.push(0, ...row);
      }
    }
    expect(raw.length).toBe(pngDataBytes(3, 3, 1, 8, true));
    const interlaced = pngFromChunks([['IHDR', ihdr(3, 3, { interlace: 1 })], ['IDAT', zlibSync(Uint8Array.from(raw))], ['IEND', new Uint8Array()]]);
    const out = new Uint8Array(9);
    decodePngInto(interlaced, 'i.png', { height: 3, width: 3, channels: 1 }, out, 0);
    expect(Array.from(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('hostile zips', () => {
  it('stops inflating an entry one byte past the size its directory claims, naming the entry', async () => {
    const file = zip({ 'ok.png': png(1, 1, [0]), 'bomb.png': new Uint8Array(16 << 20) });
    claimZipSize(file, 'bomb.png', 100);
    const fed = await compressedBytesFed(() =>
      expect(readImages(file, 'lies.zip', grey({ height: 1, width: 1 }))).rejects.toThrow(
        "lies.zip: bomb.png unpacks to more than the 100 bytes the zip's directory says; the archive is damaged or hostile, so it is not read",
      ),
    );
    expect(fed).toBeLessThan(file.length / 2);
  });

  it('refuses an entry whose claimed size is over the limit for one image, before inflating any', async () => {
    const file = zip({ 'a.png': png(1, 1, [0]), 'b.png': png(1, 1, [0]) });
    claimZipSize(file, 'b.png', USER_DATA_LIMITS.imageFileBytes + 1);
    await expect(readImages(file, 'big.zip', grey({ height: 1, width: 1 }))).rejects.toThrow('big.zip: b.png is 64.0 MB; the limit for one image file is 64 MB');
  });

  it('names an entry that unpacks to less than its directory says, or uses another compression', async () => {
    const file = zip({ 'a.png': png(1, 1, [0]) });
    claimZipSize(file, 'a.png', 1000);
    await expect(readImages(file, 'short.zip', grey({ height: 1, width: 1 }))).rejects.toThrow(/short\.zip: a\.png is damaged in the zip \(it unpacks to \d+ bytes, and the directory says 1,000\)/);
    const other = zip({ 'a.png': png(1, 1, [0]) });
    const view = new DataView(other.buffer);
    for (let i = 0; i + 4 < other.length; i++) if (view.getUint32(i, true) === 0x02014b50) view.setUint16(i + 10, 12, true);
    await expect(readImages(other, 'bz.zip', grey({ height: 1, width: 1 }))).rejects.toThrow('bz.zip: a.png is compressed with method 12; only stored and deflated entries are read');
  });
});
