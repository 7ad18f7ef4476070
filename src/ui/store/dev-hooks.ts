/// <reference types="vite/client" />
/**
 * Hooks for end-to-end tests, in dev builds only:
 * `window.__gencomposer.loadPreset('vae')` opens a preset as a new document,
 * `editor()` reads the store; `trainingSettings({...})` overrides the next
 * run's settings (few steps, small previews), `training()` reads the
 * training store and `loseDevice()` destroys the WebGPU device of a run.
 */
import { PRESETS } from '../gallery/presets.ts';
import { registerTestHooks } from '../sharing/test-hooks.ts';
import { loseDevice, setTrainingOverrides } from '../training/training-client.ts';
import { getTraining } from '../training/training-store.ts';
import type { TrainingSettingsInput } from '../../worker/protocol.ts';
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
  hooks.trainingSettings = (settings: Partial<TrainingSettingsInput>) => setTrainingOverrides(settings);
  hooks.training = () => getTraining();
  hooks.loseDevice = () => loseDevice();
}
