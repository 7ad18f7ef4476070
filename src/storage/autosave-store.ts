/**
 * Where the autosaved graph is kept: one record in the `gencomposer`
 * database. Names and the record's form stay as they are, so a graph
 * saved by an earlier version still comes back.
 */
import { saveDocument } from '../core/graph/save.ts';
import type { GraphDocument } from '../core/graph/schema.ts';
import { indexedDbStore, type KeyValueStore } from './key-value.ts';

const KEY = 'current';

interface Stored {
  savedAt: string;
  /** The document as saveDocument writes it, parsed: plain JSON. */
  document: unknown;
}

let store: KeyValueStore | undefined;
const getStore = () => (store ??= indexedDbStore('gencomposer', 'autosave'));

/** Replaces the storage (tests). */
export function setAutosaveStore(next: KeyValueStore | undefined): void {
  store = next;
}

export async function writeAutosaved(doc: GraphDocument): Promise<void> {
  const value: Stored = { savedAt: new Date().toISOString(), document: JSON.parse(saveDocument(doc)) };
  await getStore().set(KEY, value);
}

/**
 * What is stored, undefined when nothing is. Its `document` is plain JSON,
 * unchecked (load it like a file), and undefined when the record holds none.
 */
export async function readAutosaved(): Promise<{ document: unknown } | undefined> {
  const value = await getStore().get(KEY);
  if (value === undefined || value === null) return undefined;
  return { document: typeof value === 'object' && 'document' in value ? (value as Stored).document : undefined };
}
