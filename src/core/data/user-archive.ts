/**
 * The files of a zip archive or a folder, as one list of named entries
 * whose sizes are checked against the limits before anything is unpacked.
 * Entries that are not data (folders, hidden files, macOS's __MACOSX
 * copies) are left out.
 */
import { unzipSync } from 'fflate';
import { isUserFolder, UserDataError, type UserFile, type UserFolderEntry } from './user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from './user-limits.ts';

const ZIP_MAGIC = [0x50, 0x4b];

/** A name inside an archive that is bookkeeping, not data. */
function isIgnored(path: string): boolean {
  return path.endsWith('/') || path.split('/').some((segment) => segment.startsWith('.') || segment === '__MACOSX') || /(^|\/)(Thumbs\.db|desktop\.ini)$/i.test(path);
}

function checkCounts(fileName: string, entries: number, bytes: number): void {
  if (entries > USER_DATA_LIMITS.entries) throw new UserDataError(`${fileName} holds more than ${USER_DATA_LIMITS.entries.toLocaleString('en-US')} files, the limit`);
  if (bytes > USER_DATA_LIMITS.imageBytes) throw new UserDataError(`${fileName} holds ${formatBytes(bytes)} of files; the limit is ${formatBytes(USER_DATA_LIMITS.imageBytes)}`);
}

function unzipEntries(bytes: Uint8Array, fileName: string): UserFolderEntry[] {
  if (bytes.length > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${fileName} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
  if (bytes[0] !== ZIP_MAGIC[0] || bytes[1] !== ZIP_MAGIC[1]) throw new UserDataError(`${fileName} is not a zip archive (attach a .zip of PNG images)`);
  let count = 0;
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      // Sizes come from the archive's directory, before anything is inflated.
      filter: (info) => {
        if (isIgnored(info.name)) return false;
        count++;
        total += info.originalSize;
        checkCounts(fileName, count, total);
        return true;
      },
    });
  } catch (error) {
    if (error instanceof UserDataError) throw error;
    throw new UserDataError(`${fileName} is not a readable zip archive (${error instanceof Error ? error.message : String(error)})`);
  }
  return Object.entries(files).map(([path, data]) => ({ path, size: data.length, read: async () => data }));
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
