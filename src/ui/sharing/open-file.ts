/**
 * Opening a graph from a file (JSON, or a PNG saved with Download PNG), a
 * link or the gallery. A broken source opens nothing: the current graph
 * stays, and a notice says what is wrong and where.
 */
import { LIMITS } from '../../core/graph/limits.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import { MAX_PNG_BYTES, decodePng, loadShared, type DecodeResult, type ShareError } from '../../core/graph/share.ts';
import { notify } from '../notices.ts';
import { getEditor } from '../store/editor-store.ts';

/** Diagnostics listed in a notice; the rest are counted. */
const SHOWN_DIAGNOSTICS = 3;

const PNG_START = [137, 80, 78, 71];

/** What went wrong, with the loader's first few diagnostics and their JSON paths. */
export function describeShareError(error: ShareError): string {
  const diagnostics = error.diagnostics ?? [];
  if (diagnostics.length === 0) return error.message;
  const lines = diagnostics.slice(0, SHOWN_DIAGNOSTICS).map((d) => `• ${d.path && d.path !== '(document)' ? `${d.path}: ` : ''}${d.message} (${d.code})`);
  const more = diagnostics.length - SHOWN_DIAGNOSTICS;
  if (more > 0) lines.push(`• and ${more} more problem${more === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** Reads a file as a graph without touching the editor. */
export async function readGraphFile(file: File): Promise<DecodeResult> {
  const fail = (message: string): DecodeResult => ({ ok: false, error: { code: 'too-large', message } });
  if (file.size > MAX_PNG_BYTES) return fail(`The file is ${file.size.toLocaleString('en-US')} bytes; graph files are far smaller (at most ${LIMITS.fileBytes.toLocaleString('en-US')} bytes of JSON).`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    return { ok: false, error: { code: 'bad-encoding', message: `The file cannot be read: ${error instanceof Error ? error.message : String(error)}.` } };
  }
  // By content, not by name: a renamed picture still opens.
  if (PNG_START.every((b, i) => bytes[i] === b)) return decodePng(bytes);
  if (bytes.length > LIMITS.fileBytes) return fail(`The file is ${bytes.length.toLocaleString('en-US')} bytes; the limit for a graph is ${LIMITS.fileBytes.toLocaleString('en-US')} bytes.`);
  // The CLI reads files through the same loadBytes: a BOM is accepted, bytes that are not UTF-8 are refused at their offset.
  const result = loadShared(bytes, 'file');
  const notText = result.ok ? undefined : result.error.diagnostics?.find((d) => d.code === 'GC010');
  if (notText) return { ok: false, error: { code: 'bad-encoding', message: `The file is neither a graph (JSON text) nor a PNG picture of one.\n${notText.message} (${notText.code})` } };
  return result;
}

export interface OpenOptions {
  /** Keeps undo history, so Undo brings back the graph that was open before. */
  undoable?: boolean;
}

/**
 * Puts a decoded graph in the editor, or explains why not. `source` names
 * where it came from in the notice (a file name, "the link").
 */
export function openDecoded(result: DecodeResult, source: string, options: OpenOptions = {}): GraphDocument | undefined {
  if (!result.ok) {
    notify('error', `Could not open ${source}; the current graph is unchanged.\n${describeShareError(result.error)}`);
    return undefined;
  }
  getEditor().replaceDocument(result.document, { keepHistory: options.undoable ?? false });
  const name = result.document.meta.name;
  const upgraded = result.migratedFrom !== undefined ? `, upgraded from version ${result.migratedFrom} to version ${result.document.version}` : '';
  notify('info', `Opened “${name}” from ${source}${upgraded}.${options.undoable ? ' Undo brings back the previous graph.' : ''}`);
  return result.document;
}

/** Opens a dropped or chosen file: JSON or a PNG with an embedded graph. */
export async function openGraphFile(file: File): Promise<void> {
  const result = await readGraphFile(file);
  openDecoded(result, file.name ? `“${file.name}”` : 'the file', { undoable: true });
}
