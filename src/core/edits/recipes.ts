/**
 * Edits of a document as recipes: functions that mutate an immer draft
 * (or any plain document) in place. The UI store applies them with
 * `produceWithPatches` for undo; the CLI and tests with `applyEdit`.
 * Every recipe takes an optional module id to edit inside that module.
 */
import { produce } from 'immer';
import { own } from '../base/names.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import type { Shape } from '../base/shape.ts';
import type { FrameColor, GraphDocument, GraphEdge, GraphFrame, GraphModule, GraphNode } from '../graph/schema.ts';

export type Recipe<R = void> = (doc: GraphDocument) => R;

/** Applies a recipe immutably; returns the new document and the recipe's result. */
export function applyEdit<R>(doc: GraphDocument, recipe: Recipe<R>): { document: GraphDocument; result: R } {
  let result!: R;
  const document = produce(doc, (draft) => {
    result = recipe(draft as GraphDocument);
  });
  return { document, result };
}

export class EditError extends Error {}

/** Deep copy of JSON data; works on immer drafts, unlike structuredClone. */
const cloneJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

interface Level {
  nodes: GraphNode[];
  edges: GraphEdge[];
  frames: GraphFrame[];
}

function levelOf(doc: GraphDocument, moduleId?: string): Level {
  if (moduleId === undefined) return doc;
  const mod = doc.modules.find((m) => m.id === moduleId);
  if (!mod) throw new EditError(`module "${moduleId}" does not exist`);
  return mod;
}

/** Every id in use in the document: nodes and edges at every level, and modules. */
export function allIds(doc: GraphDocument): Set<string> {
  const ids = new Set<string>();
  for (const level of [doc, ...doc.modules]) {
    for (const n of level.nodes) ids.add(n.id);
    for (const e of level.edges) ids.add(e.id);
    for (const f of level.frames) ids.add(f.id);
  }
  for (const m of doc.modules) ids.add(m.id);
  return ids;
}

/** A fresh id from a base word: `dense`, `dense_2`, ... unique in the whole document. */
export function freshId(doc: GraphDocument, base: string, taken: Set<string> = allIds(doc)): string {
  const stem = (base.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z_]/, '_$&') || 'node').slice(0, 48);
  let id = stem;
  for (let i = 2; taken.has(id); i++) id = `${stem}_${i}`;
  taken.add(id);
  return id;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

export interface NewNode {
  kind: string;
  id?: string;
  params?: Record<string, unknown>;
  position?: { x: number; y: number };
  label?: string;
}

/** Adds a node with its params' defaults written out, so the file says what it means. */
export const addNode =
  (node: NewNode, moduleId?: string): Recipe<string> =>
  (doc) => {
    const level = levelOf(doc, moduleId);
    const def = getNodeDefinition(node.kind);
    if (!def) throw new EditError(`unknown node kind "${node.kind}"`);
    const parsed = def.params.safeParse(node.params ?? {});
    const params = (parsed.success ? parsed.data : (node.params ?? {})) as Record<string, unknown>;
    const id = node.id ?? freshId(doc, lowerFirst(node.kind));
    if (allIds(doc).has(id) && node.id !== undefined) throw new EditError(`the id "${id}" is taken`);
    const created: GraphNode = { id, kind: node.kind, params: cloneJson(params) as GraphNode['params'], position: node.position ?? { x: 0, y: 0 } };
    if (node.label !== undefined) created.label = node.label;
    level.nodes.push(created);
    return id;
  };

/** Removes nodes and every edge that touches them. */
export const removeNodes =
  (ids: readonly string[], moduleId?: string): Recipe =>
  (doc) => {
    const level = levelOf(doc, moduleId);
    const gone = new Set(ids);
    level.nodes = level.nodes.filter((n) => !gone.has(n.id));
    level.edges = level.edges.filter((e) => !gone.has(e.source.node) && !gone.has(e.target.node));
  };

export interface Connection {
  source: { node: string; port: string };
  target: { node: string; port: string };
}

/** Connects an output to an input; an input takes one edge, so an older one into it is replaced. */
export const connect =
  (connection: Connection, moduleId?: string): Recipe<string> =>
  (doc) => {
    const level = levelOf(doc, moduleId);
    for (const end of [connection.source, connection.target]) {
      if (!level.nodes.some((n) => n.id === end.node)) throw new EditError(`node "${end.node}" does not exist`);
    }
    level.edges = level.edges.filter((e) => !(e.target.node === connection.target.node && e.target.port === connection.target.port));
    const id = freshId(doc, 'e');
    level.edges.push({ id, source: { ...connection.source }, target: { ...connection.target } });
    return id;
  };

export const disconnect =
  (edgeIds: readonly string[], moduleId?: string): Recipe =>
  (doc) => {
    const level = levelOf(doc, moduleId);
    const gone = new Set(edgeIds);
    level.edges = level.edges.filter((e) => !gone.has(e.id));
  };

/** Merges params; a key set to undefined is removed (back to its default). */
export const setParams =
  (nodeId: string, patch: Record<string, unknown>, moduleId?: string): Recipe =>
  (doc) => {
    const node = findNode(levelOf(doc, moduleId), nodeId);
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete node.params[key];
      else node.params[key] = cloneJson(value) as never;
    }
  };

export const setLabel =
  (nodeId: string, label: string | undefined, moduleId?: string): Recipe =>
  (doc) => {
    const node = findNode(levelOf(doc, moduleId), nodeId);
    if (label === undefined || label === '') delete node.label;
    else node.label = label;
  };

export const moveNodes =
  (positions: Readonly<Record<string, { x: number; y: number }>>, moduleId?: string): Recipe =>
  (doc) => {
    for (const node of levelOf(doc, moduleId).nodes) {
      // Positions are keyed by node ids: read own keys only, so a node called "constructor" is not moved to a function.
      const to = own(positions, node.id);
      if (to) node.position = { x: to.x, y: to.y };
    }
  };

/** Draws nodes as compact cards, or in full again. */
export const setCollapsed =
  (ids: readonly string[], collapsed: boolean, moduleId?: string): Recipe =>
  (doc) => {
    const chosen = new Set(ids);
    for (const node of levelOf(doc, moduleId).nodes) {
      if (!chosen.has(node.id)) continue;
      if (collapsed) node.collapsed = true;
      else delete node.collapsed;
    }
  };

export interface NewFrame {
  title: string;
  color?: FrameColor;
  position: { x: number; y: number };
  size: { width: number; height: number };
}

function frameIndex(frames: GraphFrame[], id: string): number {
  const at = frames.findIndex((f) => f.id === id);
  if (at < 0) throw new EditError(`frame "${id}" does not exist`);
  return at;
}

function findFrame(doc: GraphDocument, id: string, moduleId?: string): GraphFrame {
  const { frames } = levelOf(doc, moduleId);
  return frames[frameIndex(frames, id)]!;
}

const MIN_FRAME = 40;

/** Adds a frame to a level; its id is fresh in the document. */
export const addFrame =
  (frame: NewFrame, moduleId?: string): Recipe<string> =>
  (doc) => {
    const id = freshId(doc, 'frame');
    levelOf(doc, moduleId).frames.push({
      id,
      title: frame.title,
      color: frame.color ?? 'slate',
      position: { x: Math.round(frame.position.x), y: Math.round(frame.position.y) },
      size: { width: Math.max(MIN_FRAME, Math.round(frame.size.width)), height: Math.max(MIN_FRAME, Math.round(frame.size.height)) },
    });
    return id;
  };

/** Renames, recolours or resizes a frame. */
export const updateFrame =
  (id: string, change: Partial<Pick<GraphFrame, 'title' | 'color' | 'position' | 'size'>>, moduleId?: string): Recipe =>
  (doc) => {
    const frame = findFrame(doc, id, moduleId);
    if (change.title !== undefined) frame.title = change.title;
    if (change.color !== undefined) frame.color = change.color;
    if (change.position) frame.position = { x: Math.round(change.position.x), y: Math.round(change.position.y) };
    if (change.size) frame.size = { width: Math.max(MIN_FRAME, Math.round(change.size.width)), height: Math.max(MIN_FRAME, Math.round(change.size.height)) };
  };

/** Removes a frame; the nodes in it stay where they are. */
export const removeFrame =
  (id: string, moduleId?: string): Recipe =>
  (doc) => {
    const { frames } = levelOf(doc, moduleId);
    frames.splice(frameIndex(frames, id), 1);
  };

/** Moves a frame and the nodes in it (`inside`, as the editor saw them when the move began) by the same offset. */
export const moveFrame =
  (id: string, by: { x: number; y: number }, inside: readonly string[], moduleId?: string): Recipe =>
  (doc) => {
    const frame = findFrame(doc, id, moduleId);
    const dx = Math.round(by.x);
    const dy = Math.round(by.y);
    frame.position = { x: frame.position.x + dx, y: frame.position.y + dy };
    const moving = new Set(inside);
    for (const node of levelOf(doc, moduleId).nodes) {
      if (moving.has(node.id)) node.position = { x: node.position.x + dx, y: node.position.y + dy };
    }
  };

/** The room a node takes on the canvas, about (the editor draws a full node 212 px wide). */
const NODE_BOX = { width: 212, height: 120 };

/**
 * Makes room for nodes that took the place of one (a block expanded into
 * its primitives): the other nodes of the level to the right of `from` in
 * the rows the new nodes cover move right by the width those take beyond
 * one node, so nothing lands on top of them.
 */
export const makeRoom =
  (added: readonly string[], from: { x: number; y: number }, moduleId?: string): Recipe =>
  (doc) => {
    const level = levelOf(doc, moduleId);
    const fresh = new Set(added);
    const placed = level.nodes.filter((n) => fresh.has(n.id));
    if (placed.length === 0) return;
    const right = Math.max(...placed.map((n) => n.position.x)) + NODE_BOX.width;
    const top = Math.min(...placed.map((n) => n.position.y));
    const bottom = Math.max(...placed.map((n) => n.position.y)) + NODE_BOX.height;
    const extra = right - (from.x + NODE_BOX.width);
    if (extra <= 0) return;
    for (const node of level.nodes) {
      if (fresh.has(node.id)) continue;
      const inRows = node.position.y < bottom && node.position.y + NODE_BOX.height > top;
      if (inRows && node.position.x > from.x) node.position = { x: node.position.x + extra, y: node.position.y };
    }
  };

function findNode(level: Level, id: string): GraphNode {
  const node = level.nodes.find((n) => n.id === id);
  if (!node) throw new EditError(`node "${id}" does not exist`);
  return node;
}

function centroid(nodes: readonly GraphNode[]): { x: number; y: number } {
  const n = Math.max(1, nodes.length);
  return {
    x: Math.round(nodes.reduce((s, node) => s + node.position.x, 0) / n),
    y: Math.round(nodes.reduce((s, node) => s + node.position.y, 0) / n),
  };
}

const endpointKey = (e: { node: string; port: string }) => `${e.node}.${e.port}`;

/**
 * Moves the selected top-level nodes into a new module and puts one instance
 * in their place. Edges crossing the selection become module ports: one
 * ModuleInput per outside output feeding in, one ModuleOutput per inside
 * output used outside.
 */
export const groupIntoModule =
  (nodeIds: readonly string[], name: string): Recipe<{ moduleId: string; instanceId: string }> =>
  (doc) => {
    const inside = new Set(nodeIds);
    const selected = doc.nodes.filter((n) => inside.has(n.id));
    if (selected.length === 0) throw new EditError('select at least one node to group');
    if (selected.some((n) => n.kind === 'ModuleInput' || n.kind === 'ModuleOutput')) {
      throw new EditError('module inputs and outputs belong inside a module already');
    }
    const taken = allIds(doc);
    const moduleId = freshId(doc, name.toLowerCase() || 'module', taken);
    const instanceId = freshId(doc, `${moduleId}_1`, taken);
    const body: GraphModule = { id: moduleId, name, description: '', nodes: cloneJson(selected), edges: [], frames: [] };
    const outerEdges: GraphEdge[] = [];
    const inputsBySource = new Map<string, string>();
    const outputsBySource = new Map<string, string>();
    const portNames = new Set<string>();
    const portName = (base: string) => {
      let port = base;
      for (let i = 2; portNames.has(port); i++) port = `${base}_${i}`;
      portNames.add(port);
      return port;
    };
    const center = centroid(selected);

    for (const edge of doc.edges) {
      const fromInside = inside.has(edge.source.node);
      const toInside = inside.has(edge.target.node);
      if (fromInside && toInside) body.edges.push(cloneJson(edge));
      else if (!fromInside && toInside) {
        const key = endpointKey(edge.source);
        let port = inputsBySource.get(key);
        if (port === undefined) {
          port = portName(edge.target.port);
          inputsBySource.set(key, port);
          const inputId = freshId(doc, `in_${port}`, taken);
          body.nodes.push({ id: inputId, kind: 'ModuleInput', params: { name: port }, position: { x: center.x - 300, y: center.y + 80 * inputsBySource.size } });
          outerEdges.push({ id: freshId(doc, 'e', taken), source: { ...edge.source }, target: { node: instanceId, port } });
        }
        const inputNode = body.nodes.find((n) => n.kind === 'ModuleInput' && n.params.name === port)!;
        body.edges.push({ id: freshId(doc, 'e', taken), source: { node: inputNode.id, port: 'x' }, target: { ...edge.target } });
      } else if (fromInside && !toInside) {
        const key = endpointKey(edge.source);
        let port = outputsBySource.get(key);
        if (port === undefined) {
          port = portName(edge.source.port);
          outputsBySource.set(key, port);
          const outputId = freshId(doc, `out_${port}`, taken);
          body.nodes.push({ id: outputId, kind: 'ModuleOutput', params: { name: port }, position: { x: center.x + 300, y: center.y + 80 * outputsBySource.size } });
          body.edges.push({ id: freshId(doc, 'e', taken), source: { ...edge.source }, target: { node: outputId, port: 'x' } });
        }
        outerEdges.push({ id: freshId(doc, 'e', taken), source: { node: instanceId, port }, target: { ...edge.target } });
      } else outerEdges.push(edge);
    }

    doc.modules.push(body);
    doc.nodes = [...doc.nodes.filter((n) => !inside.has(n.id)), { id: instanceId, kind: 'Module', params: { module: moduleId }, position: center }];
    doc.edges = outerEdges;
    renameUpdates(doc, nodeIds, moduleId);
    return { moduleId, instanceId };
  };

/** Objectives that updated grouped nodes now update their module. */
function renameUpdates(doc: GraphDocument, nodeIds: readonly string[], moduleId: string): void {
  const grouped = new Set(nodeIds);
  for (const objective of doc.training.objectives) {
    if (!objective.updates.some((u) => grouped.has(u))) continue;
    objective.updates = [...new Set(objective.updates.map((u) => (grouped.has(u) ? moduleId : u)))];
  }
}

/**
 * Replaces a top-level module instance with a copy of the module's body.
 * The module stays while other instances use it.
 */
export const ungroup =
  (instanceId: string): Recipe<string[]> =>
  (doc) => {
    const instance = findNode(doc, instanceId);
    if (instance.kind !== 'Module') throw new EditError(`node "${instanceId}" is not a module instance`);
    const moduleId = instance.params.module as string;
    const mod = doc.modules.find((m) => m.id === moduleId);
    if (!mod) throw new EditError(`module "${moduleId}" does not exist`);
    const taken = allIds(doc);
    const rename = new Map<string, string>();
    const inputPorts = new Map<string, string>();
    const outputPorts = new Map<string, string>();
    for (const node of mod.nodes) {
      if (node.kind === 'ModuleInput') inputPorts.set(node.id, String(node.params.name ?? 'x'));
      else if (node.kind === 'ModuleOutput') outputPorts.set(node.id, String(node.params.name ?? 'y'));
      else rename.set(node.id, freshId(doc, `${instanceId}_${node.id}`, taken));
    }
    const offset = { x: instance.position.x - centroid(mod.nodes).x, y: instance.position.y - centroid(mod.nodes).y };
    const added = mod.nodes
      .filter((n) => rename.has(n.id))
      .map((n) => ({ ...cloneJson(n), id: rename.get(n.id)!, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } }))
      // A tie between two nodes of the body follows them to their new ids.
      .map((n) => (typeof n.params.tiedTo === 'string' && rename.has(n.params.tiedTo) ? { ...n, params: { ...n.params, tiedTo: rename.get(n.params.tiedTo)! } } : n));

    const feeding = new Map(doc.edges.filter((e) => e.target.node === instanceId).map((e) => [e.target.port, e.source]));
    const consumers = doc.edges.filter((e) => e.source.node === instanceId);
    const edges = doc.edges.filter((e) => e.source.node !== instanceId && e.target.node !== instanceId);
    const newEdge = (source: { node: string; port: string }, target: { node: string; port: string }) =>
      edges.push({ id: freshId(doc, 'e', taken), source: { ...source }, target: { ...target } });

    // What each ModuleOutput is fed by, as an outside endpoint.
    const outputSource = new Map<string, { node: string; port: string }>();
    for (const edge of mod.edges) {
      const port = outputPorts.get(edge.target.node);
      if (port === undefined) continue;
      const from = inputPorts.get(edge.source.node);
      const source = from !== undefined ? feeding.get(from) : { node: rename.get(edge.source.node)!, port: edge.source.port };
      if (source) outputSource.set(port, source);
    }
    for (const edge of mod.edges) {
      if (outputPorts.has(edge.target.node)) continue;
      const from = inputPorts.get(edge.source.node);
      const source = from !== undefined ? feeding.get(from) : { node: rename.get(edge.source.node)!, port: edge.source.port };
      if (source) newEdge(source, { node: rename.get(edge.target.node)!, port: edge.target.port });
    }
    for (const edge of consumers) {
      const source = outputSource.get(edge.source.port);
      if (source) newEdge(source, edge.target);
    }
    doc.nodes = [...doc.nodes.filter((n) => n.id !== instanceId), ...added];
    doc.edges = edges;
    const stillUsed = [doc, ...doc.modules].some((level) => level.nodes.some((n) => n.kind === 'Module' && n.params.module === moduleId));
    if (!stillUsed) doc.modules = doc.modules.filter((m) => m.id !== moduleId);
    return added.map((n) => n.id);
  };

/**
 * Replaces a block node with the primitives it expands to, so they can be
 * edited one by one. `inputs` are the block's inferred input shapes.
 */
export const expandBlock =
  (nodeId: string, inputs: Readonly<Record<string, Shape>>, moduleId?: string): Recipe<string[]> =>
  (doc) => {
    const level = levelOf(doc, moduleId);
    const block = findNode(level, nodeId);
    const def = getNodeDefinition(block.kind);
    if (!def?.expand) throw new EditError(`"${nodeId}" (${block.kind}) is not a block that expands`);
    const parsed = def.params.safeParse(block.params);
    if (!parsed.success) throw new EditError(`"${nodeId}" has invalid params: ${parsed.error.issues[0]?.message}`);
    const expansion = def.expand({ params: parsed.data, inputs });
    const taken = allIds(doc);
    const rename = new Map(expansion.nodes.map((n) => [n.id, freshId(doc, `${nodeId}_${n.id}`, taken)]));
    const added: GraphNode[] = expansion.nodes.map((n, i) => ({
      id: rename.get(n.id)!,
      kind: n.kind,
      params: cloneJson(n.params) as GraphNode['params'],
      position: { x: block.position.x + 220 * i, y: block.position.y + (i % 2) * 60 },
    }));
    const edges = level.edges.filter((e) => e.source.node !== nodeId && e.target.node !== nodeId);
    const push = (source: { node: string; port: string }, target: { node: string; port: string }) =>
      edges.push({ id: freshId(doc, 'e', taken), source: { ...source }, target: { ...target } });
    for (const e of expansion.edges) push({ node: rename.get(e.from[0])!, port: e.from[1] }, { node: rename.get(e.to[0])!, port: e.to[1] });
    for (const e of level.edges) {
      if (e.target.node === nodeId) {
        for (const [inner, port] of expansion.inputs[e.target.port] ?? []) push(e.source, { node: rename.get(inner)!, port });
      } else if (e.source.node === nodeId) {
        const out = expansion.outputs[e.source.port];
        if (out) push({ node: rename.get(out[0])!, port: out[1] }, e.target);
      }
    }
    level.nodes = [...level.nodes.filter((n) => n.id !== nodeId), ...added];
    level.edges = edges;
    return added.map((n) => n.id);
  };
