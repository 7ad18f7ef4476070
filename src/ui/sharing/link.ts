/**
 * Graphs in the address: `#graph=v1.…` (see core/graph/share.ts). The hash
 * never reaches a server, so a link shares a graph without one.
 */
import { saveDocument } from '../../core/graph/save.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import { decodeLink, encodeLink, isGraphHash, type DecodeResult, type EncodeLinkResult } from '../../core/graph/share.ts';
import { openDecoded } from './open-file.ts';

/** Text of the document the current hash holds, to tell when an edit has made it stale. */
let linkedText: string | undefined;
let lastDecoded: DecodeResult | undefined;

/** The link's decode result, with its migration, for whoever opens it. */
export function readLocationLink(): DecodeResult | undefined {
  if (typeof location === 'undefined' || !isGraphHash(location.hash)) return undefined;
  const result = decodeLink(location.hash);
  lastDecoded = result;
  linkedText = result.ok ? saveDocument(result.document) : undefined;
  return result;
}

/**
 * The graph the URL's hash carries: undefined when there is none, `{ error }`
 * with a message for a broken link.
 */
export function documentFromLocation(): GraphDocument | undefined | { error: string } {
  const result = readLocationLink();
  if (!result) return undefined;
  return result.ok ? result.document : { error: result.error.message };
}

/**
 * Opens the graph of the address's link in the editor, with a notice (which
 * names the version it was upgraded from, or why the link is broken).
 */
export function openFromLocation(options: { undoable?: boolean } = {}): 'opened' | 'broken' | 'none' {
  const result = readLocationLink();
  if (!result) return 'none';
  return openDecoded(result, 'the link', options) ? 'opened' : 'broken';
}

/** The version the last read link was upgraded from, if it was. */
export function lastLinkMigratedFrom(): number | undefined {
  return lastDecoded?.ok ? lastDecoded.migratedFrom : undefined;
}

function replaceHash(hash: string): void {
  // replaceState: no hashchange event and no extra history entry.
  history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
}

/** Puts the document in the address; returns the full URL, or the reason it does not fit. */
export function writeLink(doc: GraphDocument): { ok: true; url: string } | Extract<EncodeLinkResult, { ok: false }> {
  const encoded = encodeLink(doc);
  if (!encoded.ok) return encoded;
  replaceHash(encoded.hash);
  linkedText = saveDocument(doc);
  return { ok: true, url: location.href };
}

/**
 * Drops a graph hash that no longer matches the document, so that a reload
 * restores the edited (autosaved) graph rather than the link's older one.
 */
export function forgetStaleLink(doc: GraphDocument): void {
  if (typeof location === 'undefined' || !isGraphHash(location.hash)) return;
  if (linkedText !== undefined && saveDocument(doc) === linkedText) return;
  linkedText = undefined;
  replaceHash('');
}
