/**
 * Checkpoints of browser runs in IndexedDB, one per model: the key is a
 * fingerprint of what determines the weights (nodes, params, edges, modules,
 * training settings), not of where nodes sit, the graph's name or how many
 * steps it was asked to take, so moving a node or asking for more steps
 * still resumes. Two records per model: a small `info` the UI reads to offer
 * "Resume from step N", and the weights themselves, which only the worker
 * reads (a large structured clone on the main thread would stall the canvas).
 * Database, store and key names stay as they are: existing checkpoints still load
 * (those stored while sampler params were part of the key are found by
 * `checkpointKeys`' second key).
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { saveDocument } from '../core/graph/save.ts';
import type { GraphDocument } from '../core/graph/schema.ts';
import { getNodeDefinition } from '../core/nodes/registry.ts';
import { graphFingerprint, type Checkpoint, type CheckpointManifest } from '../core/train/checkpoint.ts';

export interface CheckpointInfo {
  step: number;
  savedAt: string;
  /** The graph's name when it was saved. */
  graph: string;
  /** The browser backend that trained it (a name from the worker's BROWSER_BACKENDS); recorded, not relied on. */
  backend?: string;
}

interface StoredWeights {
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
}

/** A fingerprint of the model's document: positions, name, description and steps left out, and sampler params unless `samplerParams`. */
function keyOf(document: GraphDocument, samplerParams: boolean): string {
  const strip = <T extends { kind: string; position: unknown; params: unknown; collapsed?: boolean }>({ collapsed: _drawn, ...node }: T): Omit<T, 'collapsed'> => ({
    ...node,
    position: { x: 0, y: 0 },
    // A sampler's params (count, temperature, guidance) choose how to sample, not what the weights are.
    params: samplerParams || getNodeDefinition(node.kind)?.phase !== 'sample' ? node.params : {},
  });
  // In version 2's form: later versions add only how the graph is drawn (frames, compact cards), which the weights
  // do not depend on, so checkpoints stored before keep their keys and framing a graph keeps its checkpoint.
  const model = {
    ...document,
    version: 2,
    frames: undefined,
    meta: { ...document.meta, name: '', description: '' },
    nodes: document.nodes.map(strip),
    modules: document.modules.map(({ frames: _frames, ...m }) => ({ ...m, nodes: m.nodes.map(strip) })),
    training: { ...document.training, steps: 1 },
  };
  return graphFingerprint(saveDocument(model as unknown as GraphDocument));
}

/** The key a model's checkpoint is stored under. */
export function checkpointKey(document: GraphDocument): string {
  return keyOf(document, false);
}

/** Where a model's checkpoint may be: its key, then the key of checkpoints stored while sampler params counted. */
export function checkpointKeys(document: GraphDocument): string[] {
  const older = keyOf(document, true);
  const key = checkpointKey(document);
  return older === key ? [key] : [key, older];
}

/** The first of `keys` that holds a checkpoint (its info), else the first key. */
export async function storedCheckpoint(store: CheckpointStore, keys: readonly string[]): Promise<{ key: string; info?: CheckpointInfo }> {
  for (const key of keys) {
    const info = await store.info(key);
    if (info) return { key, info };
  }
  return { key: keys[0]! };
}

export interface CheckpointStore {
  info(key: string): Promise<CheckpointInfo | undefined>;
  load(key: string): Promise<Checkpoint | undefined>;
  save(key: string, checkpoint: Checkpoint, info: CheckpointInfo): Promise<void>;
  remove(key: string): Promise<void>;
}

export const CHECKPOINT_DB = 'gencomposer-checkpoints';

/** The store in IndexedDB (the page and the worker open the same database). */
export function indexedDbCheckpoints(dbName = CHECKPOINT_DB): CheckpointStore {
  let store: UseStore | undefined;
  const db = () => (store ??= createStore(dbName, 'checkpoints'));
  return {
    info: (key) => get<CheckpointInfo>(`info:${key}`, db()),
    async load(key) {
      const stored = await get<StoredWeights>(`weights:${key}`, db());
      return stored ? { manifest: stored.manifest, weights: stored.weights } : undefined;
    },
    async save(key, checkpoint, info) {
      // Weights first: an info record never points at missing weights.
      await set(`weights:${key}`, { manifest: checkpoint.manifest, weights: checkpoint.weights } satisfies StoredWeights, db());
      await set(`info:${key}`, info, db());
    },
    async remove(key) {
      await del(`info:${key}`, db());
      await del(`weights:${key}`, db());
    },
  };
}
