import { describe, expect, it } from 'vitest';
import { BLACK, createRaster, drawText, FONT_CHARS, getPixel, glyph, GLYPH_HEIGHT, GLYPH_WIDTH, hasGlyph, measureText, textImage } from '../../src/core/render/index.ts';
import { TEXT_PADDING } from '../../src/core/render/text.ts';

const SUPPORTED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:-_\'()/=+%';

const rowsOf = (bits: Uint8Array) =>
  Array.from({ length: GLYPH_HEIGHT }, (_, y) => Array.from(bits.subarray(y * GLYPH_WIDTH, (y + 1) * GLYPH_WIDTH), (b) => (b ? '#' : '.')).join(''));

describe('font', () => {
  it('defines every supported character', () => {
    for (const char of SUPPORTED) expect(hasGlyph(char), `glyph for '${char}'`).toBe(true);
  });

  it('gives every glyph its own bitmap, and none looks like the missing box', () => {
    const seen = new Map<string, string>();
    for (const char of [...FONT_CHARS, '\u0000']) {
      const key = rowsOf(glyph(char)).join('|');
      expect(seen.get(key), `'${char}' looks like '${seen.get(key)}'`).toBeUndefined();
      seen.set(key, char);
    }
  });

  it('draws every glyph but space with ink', () => {
    for (const char of FONT_CHARS) expect(glyph(char).some(Boolean), `'${char}'`).toBe(char !== ' ');
  });

  it("has the expected pixels for 'A' and the box for unknown characters", () => {
    expect(rowsOf(glyph('A'))).toEqual(['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#', '.....', '.....']);
    expect(rowsOf(glyph('é'))).toEqual(['#####', '#...#', '#...#', '#...#', '#...#', '#...#', '#####', '.....', '.....']);
    expect(hasGlyph('é')).toBe(false);
  });

  it('puts descenders below the baseline', () => {
    expect(rowsOf(glyph('g')).slice(7)).toEqual(['....#', '.###.']);
    expect(rowsOf(glyph('a')).slice(7)).toEqual(['.....', '.....']);
  });

  it('draws text at a position and scale', () => {
    const raster = createRaster(20, 20);
    drawText(raster, 'A', 3, 2, BLACK, 2);
    // 'A' row 0 is .###.: ink from font x 1..3, i.e. pixels 5..10 at scale 2.
    expect(getPixel(raster, 4, 2)).toEqual([255, 255, 255, 255]);
    expect(getPixel(raster, 5, 2)).toEqual([0, 0, 0, 255]);
    expect(getPixel(raster, 10, 3)).toEqual([0, 0, 0, 255]);
    expect(getPixel(raster, 11, 2)).toEqual([255, 255, 255, 255]);
    expect(measureText('Ab', 2)).toEqual({ width: 22, height: 18 });
  });
});

describe('textImage', () => {
  it('sizes the image from the longest line and the line count', () => {
    const raster = textImage(['ab', 'abcd', 'a'], { scale: 1 });
    expect(raster.width).toBe(2 * TEXT_PADDING + 4 * 6 - 1);
    expect(raster.height).toBe(2 * TEXT_PADDING + 2 * 11 + 9);
    const scaled = textImage(['ab', 'abcd', 'a'], { scale: 3 });
    expect([scaled.width, scaled.height]).toEqual([raster.width * 3, raster.height * 3]);
  });

  it('draws black glyphs on white where the font says', () => {
    const raster = textImage(['I'], { scale: 1 });
    const p = TEXT_PADDING;
    // 'I' row 0 is .###.
    expect(getPixel(raster, p, p)).toEqual([255, 255, 255, 255]);
    expect(getPixel(raster, p + 1, p)).toEqual([0, 0, 0, 255]);
    expect(getPixel(raster, p + 2, p + 3)).toEqual([0, 0, 0, 255]);
    expect(getPixel(raster, p + 1, p + 3)).toEqual([255, 255, 255, 255]);
    let ink = 0;
    for (let i = 0; i < raster.data.length; i += 4) if (raster.data[i] === 0) ink++;
    expect(ink).toBe(glyph('I').reduce((a, b) => a + b, 0));
  });

  it('splits many lines into columns, filled top to bottom', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `n${i}`);
    const auto = textImage(lines, { scale: 1 });
    const one = textImage(lines, { scale: 1, columns: 1 });
    expect(one.height).toBe(2 * TEXT_PADDING + 49 * 11 + 9);
    // 50 lines -> 3 columns of 17.
    expect(auto.height).toBe(2 * TEXT_PADDING + 16 * 11 + 9);
    expect(auto.width).toBeGreaterThan(one.width * 2);
    const two = textImage(['a', 'b', 'c'], { scale: 1, columns: 2 });
    expect(two.height).toBe(2 * TEXT_PADDING + 11 + 9);
  });

  it('draws an empty list as a blank image', () => {
    const raster = textImage([]);
    expect(raster.width).toBeGreaterThan(0);
    expect(raster.data.every((v) => v === 255)).toBe(true);
  });
});
