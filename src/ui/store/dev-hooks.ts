/// <reference types="vite/client" />
/**
 * Hooks for end-to-end tests, in dev builds only:
 * `window.__gencomposer.loadPreset('vae')` opens a preset as a new document,
 * and `editor()` reads the store.
 */
import { PRESETS } from '../gallery/presets.ts';
import { registerTestHooks } from '../sharing/test-hooks.ts';
import { getEditor, type EditorState } from './editor-store.ts';

export function registerEditorHooks(): void {
  if (!import.meta.env?.DEV || typeof window === 'undefined') return;
  registerTestHooks();
  const hooks = (window.__gencomposer ??= {});
  hooks.loadPreset = (name: string): boolean => {
    const preset = PRESETS.find((p) => p.id === name);
    if (!preset) return false;
    getEditor().replaceDocument(preset.document);
    return true;
  };
  hooks.editor = (): EditorState => getEditor();
}
