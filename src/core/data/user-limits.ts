/**
 * Limits on the user's own data files. A shared graph names files, and the
 * files themselves come from anywhere, so every reader checks these before
 * allocating: generous for datasets that train in a browser, small enough
 * that a hostile or mistaken file cannot exhaust memory.
 */
export const USER_DATA_LIMITS = {
  /** Bytes of one file as stored (a CSV, a text file, a zip). */
  fileBytes: 256 * 1024 * 1024,
  /** Bytes of all images of a zip or folder, unpacked (PNG files, not pixels). */
  imageBytes: 512 * 1024 * 1024,
  /** Bytes of one PNG file, as stored in the zip or folder (a 1024 × 1024 RGBA image of 16-bit samples is 8 MB unpacked). */
  imageFileBytes: 64 * 1024 * 1024,
  /** Entries of a zip or folder, images or not. */
  entries: 100_000,
  images: 100_000,
  /** Pixel values (height · width · channels · images) held in memory. */
  pixelValues: 256 * 1024 * 1024,
  imageSide: 1024,
  /** Image classes (sub-folders) and CSV label values. */
  classes: 10_000,
  rows: 1_000_000,
  /** Numbers in a CSV (rows · columns). */
  cells: 32 * 1024 * 1024,
  /** Characters of one CSV field (a number, a label or a column name). */
  cellLength: 1024,
  lines: 1_000_000,
  lineLength: 4096,
  /** Tokens of a text file's examples: lines · (context + 1). */
  tokens: 32 * 1024 * 1024,
} as const;

const MB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  return bytes >= MB ? `${(bytes / MB).toFixed(bytes % MB === 0 ? 0 : 1)} MB` : `${bytes.toLocaleString('en-US')} byte${bytes === 1 ? '' : 's'}`;
}
