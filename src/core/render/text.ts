import { CHAR_ADVANCE, drawText, GLYPH_HEIGHT, LINE_HEIGHT } from './font.ts';
import { BLACK, createRaster, type Raster } from './raster.ts';

export interface TextImageOptions {
  /** Integer upscaling of the font (default 2). */
  scale?: number;
  /** Columns the lines are split across, filled top to bottom; by default one per 24 lines. */
  columns?: number;
}

/** Blank space around the text, in font pixels. */
export const TEXT_PADDING = 4;
/** Space between columns, in font pixels. */
export const COLUMN_GAP = 3 * CHAR_ADVANCE;
const LINES_PER_COLUMN = 24;

/** Black text on white, one entry per line, in as many columns as asked. */
export function textImage(lines: readonly string[], options: TextImageOptions = {}): Raster {
  const scale = options.scale ?? 2;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`text scale must be a positive integer, got ${scale}`);
  const columns = Math.max(1, Math.min(options.columns ?? Math.ceil(lines.length / LINES_PER_COLUMN), lines.length || 1));
  if (!Number.isInteger(columns)) throw new Error(`text columns must be an integer, got ${options.columns}`);
  const rows = Math.max(1, Math.ceil(lines.length / columns));
  const chars = Math.max(1, ...lines.map((line) => [...line].length));
  const columnWidth = chars * CHAR_ADVANCE - 1;
  const width = 2 * TEXT_PADDING + columns * columnWidth + (columns - 1) * COLUMN_GAP;
  const height = 2 * TEXT_PADDING + (rows - 1) * LINE_HEIGHT + GLYPH_HEIGHT;
  const raster = createRaster(width * scale, height * scale);
  lines.forEach((line, i) => {
    const column = Math.floor(i / rows);
    const row = i % rows;
    const x = TEXT_PADDING + column * (columnWidth + COLUMN_GAP);
    const y = TEXT_PADDING + row * LINE_HEIGHT;
    drawText(raster, line, x * scale, y * scale, BLACK, scale);
  });
  return raster;
}
