/**
 * Numbered, contiguous migrations. `MIGRATIONS[i]` upgrades a document of
 * version `i + 1` to version `i + 2`; each is a pure function of plain JSON
 * and never trusts its input's shape (the result is validated afterwards).
 */
type Json = Record<string, unknown>;

export interface Migration {
  /** The version this migration produces. */
  to: number;
  description: string;
  up(doc: Json): Json;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Maps lists; anything else passes through for the schema to report. */
const mapList = (v: unknown, f: (item: unknown, i: number) => unknown): unknown => (Array.isArray(v) ? v.map(f) : v);

/** `"node:port"`, the v1 way of naming an endpoint. */
function splitEndpoint(value: unknown): { node: unknown; port: unknown } {
  if (typeof value !== 'string') return { node: value, port: undefined };
  const at = value.indexOf(':');
  return at < 0 ? { node: value, port: undefined } : { node: value.slice(0, at), port: value.slice(at + 1) };
}

/**
 * Version 1, the first draft: flat `name` and `family`, nodes with `type`
 * and `x`/`y`, `links` as `"node:port"` strings, and one optimizer for all.
 * Version 2 groups `meta`, names edges with ids and endpoints as objects,
 * adds modules, and gives each objective its own optimizer.
 */
const v1ToV2: Migration = {
  to: 2,
  description: 'meta block, edges with ids, modules, per-objective optimizers',
  up(doc) {
    const { name, family, description, nodes, links, training, ...rest } = doc;
    const upgraded: Json = {
      ...rest,
      version: 2,
      meta: { name, description: description ?? '', family: family ?? 'custom' },
      nodes: mapList(nodes, (node) => {
        if (!isObject(node)) return node;
        const { type, x, y, ...nodeRest } = node;
        return { ...nodeRest, kind: type, params: node.params ?? {}, position: { x: x ?? 0, y: y ?? 0 } };
      }),
      edges: mapList(links, (link, i) => {
        if (!isObject(link)) return link;
        return { id: `e${i + 1}`, source: splitEndpoint(link.from), target: splitEndpoint(link.to) };
      }),
      modules: [],
    };
    if (isObject(training)) {
      const { optimizer, ...trainingRest } = training;
      const objectives = isObject(optimizer)
        ? [{ id: 'main', optimizer: { type: optimizer.type, learningRate: optimizer.lr } }]
        : [];
      upgraded.training = { ...trainingRest, objectives };
    }
    return upgraded;
  },
};

/**
 * Version 3 adds how a graph is drawn: frames (named, coloured areas of a
 * level, `frames` on the graph and on each module) and compact cards
 * (`collapsed` on a node). A version-2 graph has neither: no frames, every
 * node drawn in full.
 */
const v2ToV3: Migration = {
  to: 3,
  description: 'frames on the graph and in modules; nodes may be drawn collapsed',
  up(doc) {
    return {
      ...doc,
      version: 3,
      frames: [],
      modules: mapList(doc.modules, (module) => (isObject(module) ? { ...module, frames: [] } : module)),
    };
  },
};

export const MIGRATIONS: readonly Migration[] = [v1ToV2, v2ToV3];

/** The first version ever written; MIGRATIONS starts from it. */
export const FIRST_VERSION = 1;
