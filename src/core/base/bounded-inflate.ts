/**
 * Inflating what comes from outside (a shared link or picture's graph, a
 * user's zip entries and PNG pixel data) with a bound on the bytes it
 * produces. Compressed data can claim anything and
 * unpack a thousand times larger than itself, so the output is counted as
 * it is produced, and inflating stops as soon as it passes `max`: memory
 * and time stay near `max`, whatever the data says about itself.
 */
import { Inflate, Unzlib } from 'fflate';

export type BoundedInflate =
  | { ok: true; bytes: Uint8Array }
  /** `tooLarge`: the data unpacks past `max` (stopped there); otherwise it is damaged. */
  | { ok: false; tooLarge: boolean; reason?: string };

/** Input is fed in steps this small, so one step unpacks to at most about 4 MB (deflate's ratio is at most 1032:1). */
const STEP = 4096;

/** Inflates `data` ('raw' deflate as in zips, 'zlib' as in PNGs), stopping past `max` output bytes. */
export function inflateBounded(data: Uint8Array, format: 'raw' | 'zlib', max: number): BoundedInflate {
  const parts: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const stream = format === 'zlib' ? new Unzlib() : new Inflate();
  stream.ondata = (chunk, final) => {
    total += chunk.length;
    if (total <= max) parts.push(chunk);
    if (final) ended = true;
  };
  try {
    for (let at = 0; at < data.length && total <= max; at += STEP) {
      const end = Math.min(at + STEP, data.length);
      stream.push(data.subarray(at, end), end === data.length);
    }
    if (data.length === 0) stream.push(data, true);
  } catch (error) {
    return { ok: false, tooLarge: total > max, reason: error instanceof Error ? error.message : String(error) };
  }
  if (total > max) return { ok: false, tooLarge: true };
  if (!ended) return { ok: false, tooLarge: false, reason: 'the compressed data is cut off' };
  if (parts.length === 1) return { ok: true, bytes: parts[0]! };
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { ok: true, bytes };
}
