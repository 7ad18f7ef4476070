/// <reference types="vite/client" />
/**
 * A read-only window into the editor for end-to-end tests, in dev builds
 * only: `window.__gencomposer.documentText()` is the saved form of the
 * graph on screen. Other parts of the app may add their own hooks.
 */
import { saveDocument } from '../../core/graph/save.ts';
import { getEditor } from '../store/editor-store.ts';

interface TestHooks {
  documentText?: () => string;
  [hook: string]: unknown;
}

declare global {
  interface Window {
    __gencomposer?: TestHooks;
  }
}

export function registerTestHooks(): void {
  if (!import.meta.env?.DEV || typeof window === 'undefined') return;
  const hooks: TestHooks = window.__gencomposer ?? {};
  hooks.documentText ??= () => saveDocument(getEditor().document);
  window.__gencomposer = hooks;
}
