/**
 * Limits on untrusted documents, checked before anything else touches them.
 * They are generous for real graphs and small enough that a hostile file
 * cannot exhaust memory or time in the loader.
 */
export const LIMITS = {
  fileBytes: 8 * 1024 * 1024,
  /** Nodes counted over the graph and all modules together. */
  nodes: 5000,
  edges: 20000,
  modules: 200,
  /** Frames in each level (the graph, a module body). */
  frames: 500,
  idLength: 64,
  nameLength: 200,
  textLength: 20000,
  arrayLength: 100000,
  /** Nesting depth of the raw JSON. */
  depth: 32,
  /** Nodes after blocks and module placements are expanded (placements multiply), counted before expanding. */
  expandedOps: 50_000,
} as const;
