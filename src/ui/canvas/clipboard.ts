/**
 * Copy and paste of a selection: the nodes with the edges between them,
 * pasted with fresh ids where the user points.
 */
import { EditError, allIds, freshId, type Recipe } from '../../core/edits/recipes.ts';
import type { GraphDocument, GraphEdge, GraphNode } from '../../core/graph/schema.ts';
import { levelOf } from './to-flow.ts';

export interface Fragment {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The selected nodes and the edges inside the selection, as plain copies. */
export function copyFragment(doc: GraphDocument, ids: readonly string[], scope?: string): Fragment | undefined {
  const chosen = new Set(ids);
  const level = levelOf(doc, scope);
  const nodes = level.nodes.filter((n) => chosen.has(n.id));
  if (nodes.length === 0) return undefined;
  const edges = level.edges.filter((e) => chosen.has(e.source.node) && chosen.has(e.target.node));
  return JSON.parse(JSON.stringify({ nodes, edges })) as Fragment;
}

/** Top-left corner of the fragment's nodes. */
export function fragmentOrigin(fragment: Fragment): { x: number; y: number } {
  return {
    x: Math.min(...fragment.nodes.map((n) => n.position.x)),
    y: Math.min(...fragment.nodes.map((n) => n.position.y)),
  };
}

/** Adds the fragment with its top-left node at `at`; returns the new node ids. */
export const pasteFragment =
  (fragment: Fragment, at: { x: number; y: number }, scope?: string): Recipe<string[]> =>
  (doc) => {
    const level = scope === undefined ? doc : doc.modules.find((m) => m.id === scope);
    if (!level) throw new EditError(`module "${scope}" does not exist`);
    const taken = allIds(doc);
    const origin = fragmentOrigin(fragment);
    const rename = new Map<string, string>();
    const added: string[] = [];
    for (const node of fragment.nodes) {
      // `dense_2` pastes as `dense_3`, not `dense_2_2`.
      const id = freshId(doc, node.id.replace(/_\d+$/, ''), taken);
      rename.set(node.id, id);
      added.push(id);
      const copy: GraphNode = JSON.parse(JSON.stringify(node)) as GraphNode;
      copy.id = id;
      copy.position = { x: Math.round(at.x + node.position.x - origin.x), y: Math.round(at.y + node.position.y - origin.y) };
      level.nodes.push(copy);
    }
    for (const edge of fragment.edges) {
      const source = rename.get(edge.source.node);
      const target = rename.get(edge.target.node);
      if (source === undefined || target === undefined) continue;
      level.edges.push({ id: freshId(doc, 'e', taken), source: { node: source, port: edge.source.port }, target: { node: target, port: edge.target.port } });
    }
    return added;
  };
