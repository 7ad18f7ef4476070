/**
 * A file of the user's own (a CSV table, a zip or folder of PNG images, a
 * text file) as the environment hands it to the data layer: the CLI reads it
 * from disk beside the graph file, the browser from the files attached in
 * the inspector. Everything that goes wrong with such a file is a
 * UserDataError whose message names the file and the place in it.
 */

/** One file inside a folder, read only when needed (so limits are checked first). */
export interface UserFolderEntry {
  /** Path inside the folder, with '/' between folders. */
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

export interface UserFolder {
  kind: 'folder';
  entries: readonly UserFolderEntry[];
}

/** A file's bytes, or a folder's files (the CLI passes folders of images). */
export type UserFile = Uint8Array | UserFolder;

/** Reads the user file a Data node names: fs in the CLI, IndexedDB in the browser. */
export type ReadUserFile = (name: string) => Promise<UserFile>;

/** A user file that cannot be used: malformed, over a limit, or not what the Data node declares. */
export class UserDataError extends Error {
  override name = 'UserDataError';
}

/** The named user file is not there; the message says how to provide it. */
export class UserFileMissingError extends UserDataError {
  override name = 'UserFileMissingError';
}

export function isUserFolder(file: UserFile): file is UserFolder {
  return !(file instanceof Uint8Array);
}
