/**
 * The files of a zip archive or a folder, as one list of named entries
 * whose sizes are checked against the limits before anything is unpacked.
 * Entries that are not data (folders, hidden files, macOS's __MACOSX
 * copies) are left out.
 *
 * A zip's central directory says how large each file unpacks to, but a
 * hostile archive can say anything. Its sizes are used as upper bounds that
 * are enforced: each entry is inflated only when read, with inflateBounded
 * stopping one byte past the size the directory gave, so the bytes actually
 * unpacked never exceed what the limits were checked against.
 */
import { inflateBounded } from '../base/bounded-inflate.ts';
import { isUserFolder, UserDataError, type UserFile, type UserFolderEntry } from './user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from './user-limits.ts';

const ZIP_MAGIC = [0x50, 0x4b];
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATE = 8;

/** A name inside an archive that is bookkeeping, not data. */
function isIgnored(path: string): boolean {
  return path.endsWith('/') || path.split('/').some((segment) => segment.startsWith('.') || segment === '__MACOSX') || /(^|\/)(Thumbs\.db|desktop\.ini)$/i.test(path);
}

function checkCounts(fileName: string, entries: number, bytes: number): void {
  if (entries > USER_DATA_LIMITS.entries) throw new UserDataError(`${fileName} holds more than ${USER_DATA_LIMITS.entries.toLocaleString('en-US')} files, the limit`);
  if (bytes > USER_DATA_LIMITS.imageBytes) throw new UserDataError(`${fileName} holds ${formatBytes(bytes)} of files; the limit is ${formatBytes(USER_DATA_LIMITS.imageBytes)}`);
}

interface DirectoryEntry {
  path: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Walks a zip's central directory: names, methods and the sizes it claims. Nothing is inflated. */
function readDirectory(bytes: Uint8Array, fileName: string, onEntry: (entry: DirectoryEntry) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (what: string) => new UserDataError(`${fileName} is not a readable zip archive (${what})`);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const inside = (at: number, length: number) => at >= 0 && length >= 0 && at + length <= bytes.length;

  // The end record sits in the last 22 bytes plus up to 65,535 bytes of comment.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw damaged('it has no central directory');
  let count = u16(end + 10);
  let size = u32(end + 12);
  let offset = u32(end + 16);
  if ((count === 0xffff || size === 0xffffffff || offset === 0xffffffff) && end >= 20 && u32(end - 20) === ZIP64_LOCATOR) {
    const at = u64(end - 12);
    if (!inside(at, 56) || u32(at) !== ZIP64_END) throw damaged('its zip64 directory record is missing');
    count = u64(at + 32);
    size = u64(at + 40);
    offset = u64(at + 48);
  }
  if (!inside(offset, size)) throw damaged('its central directory lies outside the file');
  // Each directory record takes at least 46 bytes, so the walk is bounded by the file's size.
  if (count > size / 46) throw damaged('its central directory is shorter than its entry count');

  let at = offset;
  for (let i = 0; i < count; i++) {
    if (!inside(at, 46) || u32(at) !== DIRECTORY_ENTRY) throw damaged(`entry ${i + 1} of its central directory is damaged`);
    const flags = u16(at + 8);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    if (!inside(at + 46, nameLength + extraLength + commentLength)) throw damaged(`entry ${i + 1} of its central directory is cut off`);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise it is read byte for byte.
    const path = (flags & 0x800 ? utf8 : latin1).decode(nameBytes);
    const entry: DirectoryEntry = { path, flags, method: u16(at + 10), compressedSize: u32(at + 20), size: u32(at + 24), localOffset: u32(at + 42) };
    // Zip64 sizes and offset, in this order, for each field the record marks as 0xFFFFFFFF.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        const next = () => {
          if (f + 8 > e + 4 + length) throw damaged(`${path}: its zip64 sizes are cut off`);
          const value = u64(f);
          f += 8;
          return value;
        };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localOffset === 0xffffffff) entry.localOffset = next();
      }
      e += 4 + length;
    }
    onEntry(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
}

/** An entry's bytes: inflated only now, and never past the size the directory gave. */
function readEntry(bytes: Uint8Array, entry: DirectoryEntry, fileName: string): Uint8Array {
  const where = `${fileName}: ${entry.path}`;
  const damaged = (what: string) => new UserDataError(`${where} is damaged in the zip (${what})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_HEADER) throw damaged('its local header is missing');
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + entry.compressedSize > bytes.length) throw damaged('its data runs past the end of the archive');
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === STORED) {
    if (data.length !== entry.size) throw damaged(`it is stored as ${data.length.toLocaleString('en-US')} bytes, and the directory says ${entry.size.toLocaleString('en-US')}`);
    return data;
  }
  const inflated = inflateBounded(data, 'raw', entry.size);
  if (!inflated.ok) {
    if (inflated.tooLarge) throw new UserDataError(`${where} unpacks to more than the ${formatBytes(entry.size)} the zip's directory says; the archive is damaged or hostile, so it is not read`);
    throw damaged(inflated.reason ?? 'it does not unpack');
  }
  if (inflated.bytes.length !== entry.size) throw damaged(`it unpacks to ${inflated.bytes.length.toLocaleString('en-US')} bytes, and the directory says ${entry.size.toLocaleString('en-US')}`);
  return inflated.bytes;
}

function unzipEntries(bytes: Uint8Array, fileName: string): UserFolderEntry[] {
  if (bytes.length > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${fileName} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
  if (bytes[0] !== ZIP_MAGIC[0] || bytes[1] !== ZIP_MAGIC[1]) throw new UserDataError(`${fileName} is not a zip archive (attach a .zip of PNG images)`);
  const byPath = new Map<string, DirectoryEntry>();
  let total = 0;
  readDirectory(bytes, fileName, (entry) => {
    if (isIgnored(entry.path)) return;
    if (entry.flags & 1) throw new UserDataError(`${fileName}: ${entry.path} is encrypted; attach a zip without a password`);
    if (entry.method !== STORED && entry.method !== DEFLATE) throw new UserDataError(`${fileName}: ${entry.path} is compressed with method ${entry.method}; only stored and deflated entries are read (zip it again with the default settings)`);
    // A later entry of the same name replaces an earlier one, as unzipping would.
    total += entry.size - (byPath.get(entry.path)?.size ?? 0);
    byPath.set(entry.path, entry);
    checkCounts(fileName, byPath.size, total);
  });
  return [...byPath.values()].map((entry) => ({ path: entry.path, size: entry.size, read: async () => readEntry(bytes, entry, fileName) }));
}

/** The data files of a zip (bytes) or a folder, sorted by path. */
export function archiveEntries(file: UserFile, fileName: string): UserFolderEntry[] {
  let entries: UserFolderEntry[];
  if (isUserFolder(file)) {
    entries = file.entries.filter((e) => !isIgnored(e.path));
    checkCounts(fileName, entries.length, entries.reduce((sum, e) => sum + e.size, 0));
  } else {
    entries = unzipEntries(file, fileName);
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

