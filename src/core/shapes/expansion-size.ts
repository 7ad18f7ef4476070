/**
 * How many nodes a document turns into once blocks and module placements
 * are expanded, counted before anything is expanded. Placements multiply:
 * 15 modules each placing the next 10 times is a 33 KB file that expands to
 * 10^14 nodes, so analysis checks this count first and refuses the document
 * (GC115) instead of running out of time and memory.
 *
 * The count is linear in the document: each module is counted once and
 * reused for every placement, each block once per params object. It is an
 * upper bound of the work analysis does, not an exact op count: every node
 * counts (module ports and placements too), and a block counts as the
 * largest of its expansions for a few probe input shapes, since shapes are
 * not known yet.
 */
import type { GraphDocument, GraphModule } from '../graph/schema.ts';
import { LIMITS } from '../graph/limits.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import { portsOf, type NodeDefinition } from '../nodes/types.ts';
import { diagnostic, type Diagnostic } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';

interface CountNode {
  id: string;
  kind: string;
  params: Record<string, unknown>;
}

/** Input shapes a block is expanded with to count its nodes: images, vectors, sequences. */
const PROBES: readonly Shape[] = [
  ['B', 8, 8, 8],
  ['B', 8],
  ['B', 8, 8],
];
/** A block that no probe expands (its real shapes are unusual) is counted as this many nodes, more than any block holds. */
const UNPROBED_BLOCK_NODES = 64;
/** Blocks nest at most this deep in analysis too. */
const MAX_BLOCK_DEPTH = 16;

export interface ExpansionSize {
  /** Nodes after expansion: the top level once, plus each module analysis checks on its own. */
  total: number;
  /** The module that contributes the most nodes, and how many times it is placed in all. */
  heaviest?: { module: string; placements: number };
  /** Where to report: the placement (top level, or in a module checked on its own) that leads to `heaviest`. */
  place?: { node: string; module?: string };
}

/** Block sizes by params object and kind, across analyses: the editor keeps unchanged params objects identical. */
const blockSizes = new WeakMap<object, Map<string, number>>();

class Counter {
  private readonly modules: Map<string, GraphModule>;
  /** Nodes one placement of a module expands to (nested placements included). */
  private readonly moduleSize = new Map<string, number>();
  private readonly visiting = new Set<string>();
  private readonly innerBlockSize = new Map<string, number>();

  constructor(readonly doc: GraphDocument) {
    this.modules = new Map(doc.modules.map((m) => [m.id, m]));
  }

  /** Nodes one node expands to. */
  node(node: CountNode): number {
    const def = getNodeDefinition(node.kind);
    if (!def) return 1;
    if (def.kind === 'Module') {
      const id = node.params.module;
      return 1 + (typeof id === 'string' ? this.module(id) : 0);
    }
    if (!def.expand) return 1;
    let byKind = blockSizes.get(node.params);
    if (!byKind) blockSizes.set(node.params, (byKind = new Map()));
    let size = byKind.get(def.kind);
    if (size === undefined) byKind.set(def.kind, (size = this.block(def, node.params, 0)));
    return size;
  }

  /** A module placement's size; a module on a cycle counts nothing more (analysis stops there with GC108). */
  module(id: string): number {
    const known = this.moduleSize.get(id);
    if (known !== undefined) return known;
    const mod = this.modules.get(id);
    if (!mod || this.visiting.has(id)) return 0;
    this.visiting.add(id);
    let size = 0;
    for (const node of mod.nodes) size += this.node(node);
    this.visiting.delete(id);
    this.moduleSize.set(id, size);
    return size;
  }

  /** The largest expansion of a block over the probe shapes, nested blocks counted too. */
  private block(def: NodeDefinition, raw: unknown, depth: number): number {
    const parsed = def.params.safeParse(raw);
    // Bad params stop analysis at this node (GC107): it expands to nothing.
    if (!parsed.success) return 1;
    if (depth >= MAX_BLOCK_DEPTH) return 1;
    const ports = portsOf(def, parsed.data);
    let most = -1;
    for (const probe of PROBES) {
      let nodes;
      try {
        nodes = def.expand!({ params: parsed.data, inputs: Object.fromEntries(ports.inputs.map((p) => [p.name, probe])) }).nodes;
      } catch {
        continue;
      }
      let size = 1;
      for (const inner of nodes) {
        const innerDef = getNodeDefinition(inner.kind);
        if (!innerDef?.expand) {
          size += 1;
          continue;
        }
        const key = `${inner.kind}|${JSON.stringify(inner.params)}`;
        let innerSize = this.innerBlockSize.get(key);
        if (innerSize === undefined) this.innerBlockSize.set(key, (innerSize = this.block(innerDef, inner.params, depth + 1)));
        size += innerSize;
      }
      most = Math.max(most, size);
    }
    return most < 0 ? UNPROBED_BLOCK_NODES : most;
  }

  /** Modules the top level does not reach through placements: analysis checks each on its own. */
  unreached(): GraphModule[] {
    const reached = new Set<string>();
    const walk = (nodes: readonly CountNode[]) => {
      for (const node of nodes) {
        const id = node.params.module;
        if (node.kind !== 'Module' || typeof id !== 'string' || reached.has(id) || !this.modules.has(id)) continue;
        reached.add(id);
        walk(this.modules.get(id)!.nodes);
      }
    };
    walk(this.doc.nodes);
    return this.doc.modules.filter((m) => !reached.has(m.id));
  }

  /** How often each module is placed in all, starting from `roots` (each analysed once). */
  placements(roots: readonly { nodes: readonly CountNode[] }[]): Map<string, number> {
    const counts = new Map<string, number>();
    // Placements of each module by each module (or a root), then pushed down in dependency order.
    const direct = (nodes: readonly CountNode[]) => {
      const out = new Map<string, number>();
      for (const node of nodes) {
        const id = node.params.module;
        if (node.kind === 'Module' && typeof id === 'string' && this.modules.has(id)) out.set(id, (out.get(id) ?? 0) + 1);
      }
      return out;
    };
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string) => {
      if (state.has(id)) return;
      state.set(id, 'visiting');
      for (const child of direct(this.modules.get(id)!.nodes).keys()) if (state.get(child) !== 'visiting') visit(child);
      state.set(id, 'done');
      order.push(id);
    };
    for (const id of this.modules.keys()) visit(id);
    order.reverse();
    for (const root of roots) for (const [id, n] of direct(root.nodes)) counts.set(id, (counts.get(id) ?? 0) + n);
    for (const id of order) {
      const times = counts.get(id) ?? 0;
      if (times === 0) continue;
      for (const [child, n] of direct(this.modules.get(id)!.nodes)) {
        // A placement back up a cycle is where analysis stops (GC108).
        if (order.indexOf(child) <= order.indexOf(id)) continue;
        counts.set(child, (counts.get(child) ?? 0) + times * n);
      }
    }
    return counts;
  }
}

/** Counts the nodes `doc` expands to, and names the module placed most heavily. */
export function expansionSize(doc: GraphDocument): ExpansionSize {
  const counter = new Counter(doc);
  const roots: { nodes: readonly CountNode[]; module?: string }[] = [{ nodes: doc.nodes }, ...counter.unreached().map((m) => ({ nodes: m.nodes, module: m.id }))];
  let total = 0;
  for (const root of roots) for (const node of root.nodes) total += counter.node(node);
  const result: ExpansionSize = { total };
  // The heaviest module: the most nodes of its own (placements inside it not counted twice) times its placements.
  const placements = counter.placements(roots);
  let most = 0;
  for (const [id, times] of placements) {
    const mod = doc.modules.find((m) => m.id === id)!;
    const own = mod.nodes.reduce((sum, node) => sum + (node.kind === 'Module' ? 1 : counter.node(node)), 0);
    if (own * times > most) {
      most = own * times;
      result.heaviest = { module: id, placements: times };
    }
  }
  // Report at the root placement whose expansion is largest.
  let largest = 0;
  for (const root of roots) {
    for (const node of root.nodes) {
      if (node.kind !== 'Module') continue;
      const size = counter.node(node);
      if (size > largest) {
        largest = size;
        result.place = root.module === undefined ? { node: node.id } : { node: node.id, module: root.module };
      }
    }
  }
  return result;
}

const count = (n: number) => (!Number.isFinite(n) ? 'more than 10^308' : n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(1).replace('e+', ' × 10^'));

/** GC115 when `doc` expands past LIMITS.expandedOps, at the placement that leads there; undefined otherwise. */
export function expansionLimitDiagnostic(doc: GraphDocument): Diagnostic | undefined {
  const size = expansionSize(doc);
  if (size.total <= LIMITS.expandedOps) return undefined;
  const detail = size.heaviest ? `module "${size.heaviest.module}" is placed ${count(size.heaviest.placements)} times` : 'its blocks expand into many layers';
  return diagnostic('GC115', { total: count(size.total), detail, limit: count(LIMITS.expandedOps) }, size.place ?? {});
}
