/**
 * The graph on screen survives a reload or a closed tab: every change is
 * saved (debounced) to IndexedDB, and the app restores it at start. What
 * comes back is loaded like a file, so a stored value from an older
 * version is migrated and a corrupt one is refused, never trusted.
 */
import { loadValue } from '../../core/graph/load.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import { readAutosaved, writeAutosaved } from '../../storage/autosave-store.ts';
import { notify } from '../notices.ts';
import { forgetStaleLink } from '../sharing/link.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';

export const AUTOSAVE_DELAY_MS = 500;

let failed = false;

async function write(doc: GraphDocument): Promise<void> {
  try {
    await writeAutosaved(doc);
    failed = false;
  } catch (error) {
    // Said once, not on every edit.
    if (!failed) notify('error', `Autosave is not working, so a reload would lose changes: ${error instanceof Error ? error.message : String(error)}. Download JSON to keep your graph.`);
    failed = true;
  }
}

let stop: (() => void) | undefined;

/**
 * Saves the document a moment after each change, and at once when the page
 * is hidden or closed. Calling it again does nothing; it returns a stop function.
 */
export function startAutosave(): () => void {
  if (stop) return stop;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: GraphDocument | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const doc = pending;
    pending = undefined;
    if (doc) void write(doc);
  };
  const schedule = (doc: GraphDocument) => {
    pending = doc;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, AUTOSAVE_DELAY_MS);
  };
  const unsubscribe = useEditor.subscribe((state, previous) => {
    if (state.document === previous.document) return;
    forgetStaleLink(state.document);
    schedule(state.document);
  });
  // A graph opened before autosave started (from a link) is kept too; the untouched start is not.
  const now = getEditor();
  if (now.generation > 0 || now.past.length > 0) schedule(now.document);
  const onHidden = () => {
    if (document.visibilityState === 'hidden') flush();
  };
  const hasDom = typeof window !== 'undefined' && typeof document !== 'undefined';
  if (hasDom) {
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', onHidden);
  }
  stop = () => {
    flush();
    unsubscribe();
    if (hasDom) {
      window.removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', onHidden);
    }
    stop = undefined;
  };
  return stop;
}

/**
 * Puts the autosaved graph back in the editor. False when there is none or
 * it cannot be used (then a notice says so and the stored value is left to
 * be overwritten by the next save).
 */
export async function restoreAutosaved(): Promise<boolean> {
  let stored: { document: unknown } | undefined;
  try {
    stored = await readAutosaved();
  } catch (error) {
    notify('error', `The autosaved graph cannot be read: ${error instanceof Error ? error.message : String(error)}.`);
    return false;
  }
  if (!stored) return false;
  const loaded = loadValue(stored.document);
  if (!loaded.ok) {
    const first = loaded.diagnostics[0];
    notify('error', `The autosaved graph is damaged and was not restored${first ? ` (${first.path ? `${first.path}: ` : ''}${first.message})` : ''}.`);
    return false;
  }
  getEditor().replaceDocument(loaded.document);
  if (loaded.migratedFrom !== undefined) notify('info', `Restored your graph, upgraded from version ${loaded.migratedFrom}.`);
  return true;
}
