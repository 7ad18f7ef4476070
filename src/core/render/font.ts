/**
 * A 5x7 bitmap font with two rows of descender (cell 5x9), so text draws the
 * same in Node and in the browser without fonts or a canvas. Each glyph is its
 * rows top to bottom, separated by spaces; '#' is ink. Glyphs of 7 rows sit on
 * the baseline; those with 9 rows go below it.
 */
import { fillRect, type Raster, type Rgb } from './raster.ts';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 9;
/** Horizontal advance and line height, in font pixels. */
export const CHAR_ADVANCE = GLYPH_WIDTH + 1;
export const LINE_HEIGHT = GLYPH_HEIGHT + 2;

const FONT_DATA: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',

  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .###. #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',

  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',

  ' ': '..... ..... ..... ..... ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... ..... .##.. .##.. ..#.. .#...',
  ':': '..... .##.. .##.. ..... ..... .##.. .##..',
  ';': '..... .##.. .##.. ..... ..... .##.. .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  _: '..... ..... ..... ..... ..... ..... #####',
  "'": '..#.. ..#.. .#... ..... ..... ..... .....',
  '"': '.#.#. .#.#. .#.#. ..... ..... ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '%': '##..# ##..# ...#. ..#.. .#... #..## #..##',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
};

/** Drawn for characters the font lacks, so they show up instead of vanishing. */
const MISSING = '##### #...# #...# #...# #...# #...# #####';

/** Characters the font draws (the missing-glyph box aside). */
export const FONT_CHARS: readonly string[] = Object.keys(FONT_DATA);

function parseGlyph(char: string, rows: string): Uint8Array {
  const lines = rows.split(' ');
  if (lines.length !== 7 && lines.length !== GLYPH_HEIGHT) throw new Error(`glyph '${char}' has ${lines.length} rows`);
  const bits = new Uint8Array(GLYPH_WIDTH * GLYPH_HEIGHT);
  lines.forEach((line, y) => {
    if (line.length !== GLYPH_WIDTH || /[^.#]/.test(line)) throw new Error(`glyph '${char}' row ${y} is '${line}'`);
    for (let x = 0; x < GLYPH_WIDTH; x++) bits[y * GLYPH_WIDTH + x] = line[x] === '#' ? 1 : 0;
  });
  return bits;
}

const GLYPHS = new Map<string, Uint8Array>(Object.entries(FONT_DATA).map(([char, rows]) => [char, parseGlyph(char, rows)]));
const MISSING_GLYPH = parseGlyph('missing', MISSING);

/** The glyph's bits, GLYPH_WIDTH x GLYPH_HEIGHT row-major, 1 for ink; the box for unknown characters. */
export function glyph(char: string): Uint8Array {
  return GLYPHS.get(char) ?? MISSING_GLYPH;
}

export function hasGlyph(char: string): boolean {
  return GLYPHS.has(char);
}

/** Width and height in raster pixels of one line of text at `scale`. */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  const chars = [...text].length;
  return { width: chars === 0 ? 0 : (chars * CHAR_ADVANCE - 1) * scale, height: GLYPH_HEIGHT * scale };
}

/** Draws one line with its top-left corner at (x, y); only ink pixels are written. */
export function drawText(raster: Raster, text: string, x: number, y: number, color: Rgb, scale = 1): void {
  let cx = x;
  for (const char of text) {
    const bits = glyph(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (bits[gy * GLYPH_WIDTH + gx]) fillRect(raster, cx + gx * scale, y + gy * scale, scale, scale, color);
      }
    }
    cx += CHAR_ADVANCE * scale;
  }
}
