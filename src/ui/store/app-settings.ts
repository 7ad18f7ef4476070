/**
 * Settings of the app on this machine, not of any document: kept in
 * localStorage and read at start. The memory limit caps the budget a
 * document may ask for (GC208), as `--memory-budget` does for the CLI, so a
 * shared graph cannot raise its own budget past what this machine allows.
 */
import { create } from 'zustand';
import { MEMORY_BUDGET_RANGE } from '../../core/graph/schema.ts';
import { DEFAULT_MEMORY_LIMIT_MB, type AnalyzeOptions } from '../../core/shapes/analyze.ts';

export interface AppSettings {
  memoryLimitMB: number;
}

export const SETTINGS_KEY = 'gencomposer.settings';
const DEFAULTS: AppSettings = { memoryLimitMB: DEFAULT_MEMORY_LIMIT_MB };

/** Why a memory limit cannot be used, or undefined when it can. */
export function memoryLimitIssue(mb: number | undefined): string | undefined {
  const { min, max } = MEMORY_BUDGET_RANGE;
  if (mb === undefined || !Number.isInteger(mb) || mb < min || mb > max) return `A whole number of MB from ${min} to ${max}.`;
  return undefined;
}

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    // Storage can be blocked (privacy settings); the defaults then hold.
    return undefined;
  }
}

/** The stored settings; anything unreadable or out of range falls back to the default. */
export function readSettings(): AppSettings {
  let stored: unknown;
  try {
    stored = JSON.parse(storage()?.getItem(SETTINGS_KEY) ?? 'null');
  } catch {
    return { ...DEFAULTS };
  }
  const mb = typeof stored === 'object' && stored !== null ? (stored as { memoryLimitMB?: unknown }).memoryLimitMB : undefined;
  return { memoryLimitMB: typeof mb === 'number' && memoryLimitIssue(mb) === undefined ? mb : DEFAULTS.memoryLimitMB };
}

export const useSettings = create<AppSettings>()(() => readSettings());

export function setMemoryLimit(mb: number): void {
  const issue = memoryLimitIssue(mb);
  if (issue) throw new Error(`Memory limit: ${issue}`);
  useSettings.setState({ memoryLimitMB: mb });
  try {
    storage()?.setItem(SETTINGS_KEY, JSON.stringify(useSettings.getState()));
  } catch {
    // Not kept past this page when storage is full or blocked; it still applies now.
  }
}

/** What the editor's analyses use: the memory limit set here. */
export function analysisOptions(): AnalyzeOptions {
  return { maxMemoryBudgetMB: useSettings.getState().memoryLimitMB };
}
