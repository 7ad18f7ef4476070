/**
 * Checkpoints of browser runs in IndexedDB, one per model: the key is a
 * fingerprint of what determines the weights (nodes, params, edges, modules,
 * training settings), not of where nodes sit, the graph's name or how many
 * steps it was asked to take, so moving a node or asking for more steps
 * still resumes. Two records per model: a small `info` the UI reads to offer
 * "Resume from step N", and the weights themselves, which only the worker
 * reads (a large structured clone on the main thread would stall the canvas).
 * Database, store and key names stay as they are: existing checkpoints still load.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { saveDocument } from '../core/graph/save.ts';
import type { GraphDocument } from '../core/graph/schema.ts';
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

/** The key a model's checkpoint is stored under. */
export function checkpointKey(document: GraphDocument): string {
  const strip = <T extends { position: unknown }>(node: T) => ({ ...node, position: { x: 0, y: 0 } });
  const model: GraphDocument = {
    ...document,
    meta: { ...document.meta, name: '', description: '' },
    nodes: document.nodes.map(strip),
    modules: document.modules.map((m) => ({ ...m, nodes: m.nodes.map(strip) })),
    training: { ...document.training, steps: 1 },
  };
  return graphFingerprint(saveDocument(model));
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
