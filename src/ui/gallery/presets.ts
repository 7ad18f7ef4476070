/// <reference types="vite/client" />
/** The presets of graph-presets/, bundled with the app and loaded like any file. */
import { loadValue } from '../../core/graph/load.ts';
import type { Family, GraphDocument } from '../../core/graph/schema.ts';

export interface Preset {
  /** File name without `.json`: `vae`, `gan`, … */
  id: string;
  document: GraphDocument;
  summary: string;
}

const FAMILY_ORDER: readonly Family[] = ['vae', 'gan', 'transformer', 'rnn', 'flow', 'diffusion', 'custom'];

export const FAMILY_NAMES: Record<Family, string> = {
  vae: 'VAE',
  gan: 'GAN',
  transformer: 'Transformer',
  rnn: 'RNN',
  flow: 'Flow',
  diffusion: 'Diffusion',
  custom: 'Custom',
};

/** The first sentence of a description (an abbreviation's dot followed by lowercase does not end it). */
export function firstSentence(text: string): string {
  const trimmed = text.trim();
  const end = trimmed.search(/[.!?](?=\s+[A-Z]|$)/);
  return end < 0 ? trimmed : trimmed.slice(0, end + 1);
}

const files = import.meta.glob<unknown>('../../../graph-presets/*.json', { eager: true, import: 'default' });

function load(): Preset[] {
  const presets: Preset[] = [];
  for (const [path, value] of Object.entries(files)) {
    const loaded = loadValue(value);
    // A broken preset is a bug caught by the tests; the gallery shows the rest.
    if (!loaded.ok) continue;
    const id = path.replace(/^.*\//, '').replace(/\.json$/, '');
    presets.push({ id, document: loaded.document, summary: firstSentence(loaded.document.meta.description) });
  }
  const rank = (p: Preset) => FAMILY_ORDER.indexOf(p.document.meta.family);
  return presets.sort((a, b) => rank(a) - rank(b) || a.document.meta.name.localeCompare(b.document.meta.name));
}

export const PRESETS: readonly Preset[] = load();
