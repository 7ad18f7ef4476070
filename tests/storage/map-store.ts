import type { KeyValueStore } from '../../src/storage/key-value.ts';

/** A KeyValueStore over a Map, to look at what was stored. */
export function mapStore(): KeyValueStore & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: async (k) => map.get(k), set: async (k, v) => void map.set(k, v), delete: async (k) => void map.delete(k) };
}
