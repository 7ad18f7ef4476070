/**
 * Sharing a graph without a server: as a link whose hash holds the
 * compressed document, or inside a PNG picture of the graph (an iTXt chunk).
 * Links and pictures come from strangers, so everything that reads them
 * returns a typed result and never throws; the document itself goes through
 * loadText, so migrations, limits and validation apply as for a file.
 */
import { deflateSync, zlibSync } from 'fflate';
import { inflateBounded } from '../base/bounded-inflate.ts';
import type { Diagnostic } from '../base/diagnostics.ts';
import { LIMITS } from './limits.ts';
import { loadBytes, loadText } from './load.ts';
import { saveDocument } from './save.ts';
import type { GraphDocument } from './schema.ts';

/** The hash of a link: `#graph=v1.<base64url of the deflated document>`. */
export const LINK_KEY = 'graph';
export const LINK_VERSION = 'v1';
/**
 * Longest hash a link may carry. Browsers keep far longer URLs (Chrome 2 MB,
 * Safari about 80,000 characters), but links travel through chat apps, mail
 * and issue trackers that cut or refuse long messages (Slack: 40,000
 * characters); 32 KiB fits them all, and every preset needs under 2,100.
 */
export const MAX_LINK_CHARS = 32 * 1024;
/** Links made with a larger limit still open, up to Chrome's URL limit. */
export const MAX_LINK_READ_CHARS = 2 * 1024 * 1024;
/** Keyword of the PNG text chunk that holds the graph. */
export const PNG_KEYWORD = 'gencomposer.graph';
/** A picture of a graph is far smaller; this bounds the work a hostile file can cause. */
export const MAX_PNG_BYTES = 32 * 1024 * 1024;

export type ShareErrorCode =
  | 'not-a-link'
  | 'link-version'
  | 'link-too-long'
  | 'bad-encoding'
  | 'bad-compression'
  | 'too-large'
  | 'not-a-png'
  | 'corrupt-png'
  | 'no-graph'
  | 'invalid-document';

export interface ShareError {
  code: ShareErrorCode;
  message: string;
  /** The loader's diagnostics, for `invalid-document`. */
  diagnostics?: Diagnostic[];
}

export type ShareFailure = { ok: false; error: ShareError };
export type DecodeResult =
  | { ok: true; document: GraphDocument; migratedFrom?: number }
  | ShareFailure;

const failure = (code: ShareErrorCode, message: string, diagnostics?: Diagnostic[]): ShareFailure => ({
  ok: false,
  error: diagnostics ? { code, message, diagnostics } : { code, message },
});

const count = (n: number) => n.toLocaleString('en-US');

/** Document text, or a file's bytes (loadBytes: BOM, UTF-8), through the loader; a failure carries its diagnostics. */
export function loadShared(content: string | Uint8Array, what: string): DecodeResult {
  const loaded = typeof content === 'string' ? loadText(content) : loadBytes(content);
  if (loaded.ok) return loaded;
  const first = loaded.diagnostics[0];
  const detail = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'unknown problem';
  return failure('invalid-document', `The ${what} holds a graph that cannot be opened: ${detail}`, loaded.diagnostics);
}

// ---------------------------------------------------------------- base64url

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Base64url without padding: the characters a URL carries without escaping. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Strict inverse of toBase64Url (padding tolerated); undefined for anything else. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  const s = text.replace(/=+$/, '');
  if (s.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------- text

const utf8 = new TextEncoder();

/** UTF-8 text, or undefined for byte sequences that are not UTF-8. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Canonical key order without the indentation: about a tenth shorter once compressed. */
function compactText(doc: GraphDocument): string {
  return JSON.stringify(JSON.parse(saveDocument(doc)));
}

// ---------------------------------------------------------------- links

export type EncodeLinkResult = { ok: true; hash: string } | ShareFailure;

/** `#graph=v1.…` for the document, or a `link-too-long` error that suggests a file. */
export function encodeLink(doc: GraphDocument): EncodeLinkResult {
  const packed = deflateSync(utf8.encode(compactText(doc)), { level: 9 });
  const hash = `#${LINK_KEY}=${LINK_VERSION}.${toBase64Url(packed)}`;
  if (hash.length > MAX_LINK_CHARS) {
    return failure(
      'link-too-long',
      `This graph is too large for a link: it needs ${count(hash.length)} characters and links are kept under ${count(MAX_LINK_CHARS)}, ` +
        'because browsers, chat apps and mail cut longer ones. Share it as a file instead (Download JSON or Download PNG).',
    );
  }
  return { ok: true, hash };
}

/** Whether a URL hash is meant to carry a graph (it may still be broken). */
export function isGraphHash(hash: string): boolean {
  return hash.replace(/^#/, '').startsWith(`${LINK_KEY}=`);
}

/** The document a link's hash carries (with or without the leading `#`). */
export function decodeLink(hash: string): DecodeResult {
  if (typeof hash !== 'string' || !isGraphHash(hash)) {
    return failure('not-a-link', `This link holds no graph: its address should end in "#${LINK_KEY}=…".`);
  }
  if (hash.length > MAX_LINK_READ_CHARS) {
    return failure('link-too-long', `This link is ${count(hash.length)} characters long; links of at most ${count(MAX_LINK_READ_CHARS)} are read.`);
  }
  const value = hash.replace(/^#/, '').slice(LINK_KEY.length + 1).trim();
  const dot = value.indexOf('.');
  const version = dot < 0 ? '' : value.slice(0, dot);
  if (version !== LINK_VERSION) {
    return failure(
      'link-version',
      version === ''
        ? 'This graph link is malformed: it has no version. It may have been cut off when it was copied.'
        : `This graph link has version "${version.slice(0, 20)}", which this GenComposer cannot read (it reads ${LINK_VERSION}).`,
    );
  }
  const packed = fromBase64Url(value.slice(dot + 1));
  if (!packed || packed.length === 0) {
    return failure('bad-encoding', 'This graph link is damaged: its data has characters a link never holds. It may have been cut off or changed when it was copied.');
  }
  const inflated = inflateBounded(packed, 'raw', LIMITS.fileBytes);
  if (!inflated.ok) {
    return inflated.tooLarge
      ? failure('too-large', `This graph link unpacks to more than ${count(LIMITS.fileBytes)} bytes, the limit for a document.`)
      : failure('bad-compression', 'This graph link is damaged: its data does not unpack. It may have been cut off when it was copied.');
  }
  return loadShared(inflated.bytes, 'link');
}

// ---------------------------------------------------------------- PNG

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10] as const;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG computes it (over a chunk's type and data). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  /** Offset of the chunk's length field. */
  start: number;
  /** Offset just past its CRC. */
  end: number;
  data: Uint8Array;
}

type ChunksResult = { ok: true; chunks: PngChunk[] } | ShareFailure;

const readU32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Walks a PNG's chunks up to IEND, checking the signature, the layout and every CRC. */
export function readPngChunks(bytes: Uint8Array): ChunksResult {
  if (!(bytes instanceof Uint8Array)) return failure('not-a-png', 'This is not a PNG picture.');
  if (bytes.length > MAX_PNG_BYTES) {
    return failure('too-large', `The picture is ${count(bytes.length)} bytes; pictures of at most ${count(MAX_PNG_BYTES)} bytes are read.`);
  }
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    return failure('not-a-png', 'This file is not a PNG picture (its first bytes are not the PNG signature).');
  }
  const chunks: PngChunk[] = [];
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) return failure('corrupt-png', 'The PNG picture is cut off: it ends before its last chunk (IEND).');
    const length = readU32(bytes, at);
    if (length > 0x7fffffff || at + 12 + length > bytes.length) {
      return failure('corrupt-png', `The PNG picture is damaged: a chunk at byte ${count(at)} claims ${count(length)} bytes past the end of the file.`);
    }
    const typeBytes = bytes.subarray(at + 4, at + 8);
    if (!typeBytes.every((c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) {
      return failure('corrupt-png', `The PNG picture is damaged: the chunk at byte ${count(at)} has no valid name.`);
    }
    const type = String.fromCharCode(...typeBytes);
    const dataEnd = at + 8 + length;
    if (crc32(bytes, at + 4, dataEnd) !== readU32(bytes, dataEnd)) {
      return failure('corrupt-png', `The PNG picture is damaged: the checksum of its ${type} chunk at byte ${count(at)} does not match.`);
    }
    if (chunks.length === 0 && type !== 'IHDR') return failure('corrupt-png', 'The PNG picture is damaged: it does not start with its header chunk (IHDR).');
    chunks.push({ type, start: at, end: dataEnd + 4, data: bytes.subarray(at + 8, dataEnd) });
    at = dataEnd + 4;
    if (type === 'IEND') return { ok: true, chunks };
  }
}

/** One PNG chunk: length, type, data and its CRC. */
export function chunkBytes(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 255);

/** Keyword of a tEXt, zTXt or iTXt chunk (Latin-1, before the first zero byte). */
function chunkKeyword(chunk: PngChunk): string | undefined {
  if (chunk.type !== 'tEXt' && chunk.type !== 'zTXt' && chunk.type !== 'iTXt') return undefined;
  const zero = chunk.data.indexOf(0);
  if (zero < 1 || zero > 79) return undefined;
  return String.fromCharCode(...chunk.data.subarray(0, zero));
}

export type EmbedResult = { ok: true; png: Uint8Array } | ShareFailure;

/**
 * The PNG with the document as a compressed iTXt chunk before IEND (an
 * older graph chunk is replaced). Viewers ignore the chunk; GenComposer
 * opens the picture as the graph.
 */
export function embedGraphInPng(png: Uint8Array, doc: GraphDocument): EmbedResult {
  const read = readPngChunks(png);
  if (!read.ok) return read;
  // iTXt: keyword, 0, compressed flag 1, method 0 (zlib), empty language, 0, empty translation, 0, text.
  const header = new Uint8Array([...latin1(PNG_KEYWORD), 0, 1, 0, 0, 0]);
  const text = zlibSync(utf8.encode(saveDocument(doc)), { level: 9 });
  const data = new Uint8Array(header.length + text.length);
  data.set(header);
  data.set(text, header.length);
  const graphChunk = chunkBytes('iTXt', data);
  const kept = read.chunks.filter((c) => c.type !== 'IEND' && chunkKeyword(c) !== PNG_KEYWORD);
  const iend = read.chunks[read.chunks.length - 1]!;
  const parts = [png.subarray(0, 8), ...kept.map((c) => png.subarray(c.start, c.end)), graphChunk, png.subarray(iend.start, iend.end)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return { ok: true, png: out };
}

export type ExtractResult = { ok: true; text: string } | ShareFailure;

/** The graph text of the first `gencomposer.graph` chunk (iTXt, zTXt or tEXt). */
export function extractGraphText(png: Uint8Array): ExtractResult {
  const read = readPngChunks(png);
  if (!read.ok) return read;
  const chunk = read.chunks.find((c) => chunkKeyword(c) === PNG_KEYWORD);
  if (!chunk) {
    return failure('no-graph', 'This PNG picture holds no GenComposer graph. Open a picture saved with Download PNG, or a .json graph file.');
  }
  const data = chunk.data;
  let at = PNG_KEYWORD.length + 1;
  let compressed = false;
  let isUtf8 = false;
  if (chunk.type === 'iTXt') {
    isUtf8 = true;
    if (at + 2 > data.length) return failure('corrupt-png', 'The graph chunk of this PNG picture is cut off.');
    compressed = data[at] === 1;
    if (data[at]! > 1 || data[at + 1] !== 0) return failure('corrupt-png', 'The graph chunk of this PNG picture uses an unknown compression.');
    at += 2;
    for (let skip = 0; skip < 2; skip++) {
      const zero = data.indexOf(0, at);
      if (zero < 0) return failure('corrupt-png', 'The graph chunk of this PNG picture is cut off.');
      at = zero + 1;
    }
  } else if (chunk.type === 'zTXt') {
    compressed = true;
    if (data[at] !== 0) return failure('corrupt-png', 'The graph chunk of this PNG picture uses an unknown compression.');
    at += 1;
  }
  let body = data.subarray(at);
  if (compressed) {
    const inflated = inflateBounded(body, 'zlib', LIMITS.fileBytes);
    if (!inflated.ok) {
      return inflated.tooLarge
        ? failure('too-large', `The graph in this PNG picture unpacks to more than ${count(LIMITS.fileBytes)} bytes, the limit for a document.`)
        : failure('corrupt-png', 'The graph chunk of this PNG picture is damaged: its data does not unpack.');
    }
    body = inflated.bytes;
  }
  if (body.length > LIMITS.fileBytes) {
    return failure('too-large', `The graph in this PNG picture is ${count(body.length)} bytes; the limit for a document is ${count(LIMITS.fileBytes)}.`);
  }
  // tEXt and zTXt are Latin-1 by the PNG standard; iTXt is UTF-8.
  const text = isUtf8 ? decodeUtf8(body) : latin1Text(body);
  if (text === undefined) return failure('corrupt-png', 'The graph chunk of this PNG picture is not UTF-8 text.');
  return { ok: true, text };
}

/** Latin-1 decoding in pieces (spread arguments have a limit). */
function latin1Text(body: Uint8Array): string {
  let out = '';
  for (let at = 0; at < body.length; at += 0x8000) out += String.fromCharCode(...body.subarray(at, at + 0x8000));
  return out;
}

/** The document a PNG picture carries. */
export function decodePng(png: Uint8Array): DecodeResult {
  const extracted = extractGraphText(png);
  if (!extracted.ok) return extracted;
  return loadShared(extracted.text, 'picture');
}
