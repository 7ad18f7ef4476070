/** The app's memory limit: kept in localStorage, and what the editor's analyses and training runs are capped by. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { zGraphDocument } from '../../src/core/graph/schema.ts';

/** A Storage over a Map, in place of the browser's (before the settings module reads it). */
class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}
const storage = new MemoryStorage();
storage.setItem('gencomposer.settings', JSON.stringify({ memoryLimitMB: 2048 }));
Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true });

const { SETTINGS_KEY, readSettings, setMemoryLimit, useSettings, memoryLimitIssue } = await import('../../src/ui/store/app-settings.ts');
const { getEditor } = await import('../../src/ui/store/editor-store.ts');
const { runSettings } = await import('../../src/ui/training/training-client.ts');

const asking = (memoryBudgetMB: number) =>
  zGraphDocument.parse({ format: 'gencomposer.graph', version: 3, meta: { name: 'asks' }, nodes: [], edges: [], training: { memoryBudgetMB } });

describe('memory limit setting', () => {
  beforeAll(() => getEditor().replaceDocument(asking(3000)));
  afterEach(() => setMemoryLimit(2048));

  it('is read from localStorage at start; unreadable or out-of-range values fall back to the default', () => {
    expect(useSettings.getState().memoryLimitMB).toBe(2048);
    for (const bad of ['{', '"x"', '{"memoryLimitMB": 3}', '{"memoryLimitMB": 1.5}', '{"memoryLimitMB": "4096"}', 'null']) {
      storage.setItem(SETTINGS_KEY, bad);
      expect(readSettings()).toEqual({ memoryLimitMB: 4096 });
    }
    expect(memoryLimitIssue(15)).toBe('A whole number of MB from 16 to 1048576.');
    expect(memoryLimitIssue(16)).toBeUndefined();
    expect(() => setMemoryLimit(0)).toThrow(/Memory limit/);
  });

  it('caps the budget in the editor, re-analyses when changed, and is stored', () => {
    expect(getEditor().analysis.memoryBudgetMB).toBe(2048);
    expect(getEditor().analysis.diagnostics.map((d) => d.code)).toEqual(['GC208']);
    setMemoryLimit(8192);
    expect(JSON.parse(storage.getItem(SETTINGS_KEY)!)).toEqual({ memoryLimitMB: 8192 });
    expect(getEditor().analysis.memoryBudgetMB).toBe(3000);
    expect(getEditor().analysis.diagnostics).toEqual([]);
    // Changing the limit is no edit: nothing to undo.
    expect(getEditor().past).toEqual([]);
  });

  it('goes to the training worker with every run', () => {
    setMemoryLimit(1024);
    expect(runSettings(getEditor().document).memoryLimitMB).toBe(1024);
  });
});
