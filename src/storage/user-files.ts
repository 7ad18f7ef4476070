/**
 * Data files the user attached to Data nodes (CSV, zip of images, text),
 * kept in this browser's IndexedDB by file name. A graph names its file but
 * never carries it, so a shared graph asks its receiver to attach the file.
 * The inspector attaches them; the training worker reads them through
 * readAttachedFile, the core data layer's readUserFile.
 */
import { UserDataError, UserFileMissingError, type ReadUserFile } from '../core/data/user-file.ts';
import { toUserFileName } from '../core/data/user-file-name.ts';
import { formatBytes, USER_DATA_LIMITS } from '../core/data/user-limits.ts';
import { indexedDbStore, type KeyValueStore } from './key-value.ts';

interface StoredFile {
  name: string;
  savedAt: string;
  bytes: Uint8Array;
}

let store: KeyValueStore | undefined;
// A database of its own: the autosave database's version-1 schema has no room for a second store.
const getStore = () => (store ??= indexedDbStore('gencomposer-user-files', 'files'));

/** Replaces the storage (tests). */
export function setUserFileStore(next: KeyValueStore | undefined): void {
  store = next;
}

/** Stores a picked file's bytes under a safe name made from its file name, and returns that name. */
export async function attachUserFile(fileName: string, bytes: Uint8Array): Promise<string> {
  if (bytes.length > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${fileName} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
  const name = toUserFileName(fileName);
  const value: StoredFile = { name, savedAt: new Date().toISOString(), bytes };
  await getStore().set(name, value);
  return name;
}

/** The core's readUserFile over the attached files. */
export const readAttachedFile: ReadUserFile = async (name) => {
  const value = await getStore().get(name);
  // Stored values are checked, not trusted: another version may have written them.
  const bytes: unknown = typeof value === 'object' && value !== null ? (value as { bytes?: unknown }).bytes : undefined;
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new UserFileMissingError(`the data file "${name}" is not attached in this browser: select the Data node and attach it in the inspector (files stay in the browser; a shared graph names them but does not carry them)`);
};
