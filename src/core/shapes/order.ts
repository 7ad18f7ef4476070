/** The order a scope's nodes are analysed in. */
import type { Wiring } from './edges.ts';
import type { Report, Scope } from './scope.ts';

/** Kahn's order in document order; nodes on cycles are reported and left out. */
export function topologicalOrder(scope: Scope, { incoming, outgoing }: Wiring, report: Report): string[] {
  const indegree = new Map<string, number>();
  for (const node of scope.nodes) indegree.set(node.id, incoming.get(node.id)?.size ?? 0);
  const queue = scope.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    order.push(id);
    for (const edge of outgoing.get(id) ?? []) {
      const left = indegree.get(edge.target.node)! - 1;
      indegree.set(edge.target.node, left);
      if (left === 0) queue.push(edge.target.node);
    }
  }
  if (order.length === indegree.size) return order;
  // What is left lies on a cycle or downstream of one; strip the downstream part.
  const left = new Set([...indegree.keys()].filter((id) => indegree.get(id)! > 0));
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of left) {
      if (!(outgoing.get(id) ?? []).some((e) => left.has(e.target.node))) {
        left.delete(id);
        changed = true;
      }
    }
  }
  const names = [...left];
  const listed = names.length > 6 ? `${names.slice(0, 6).join(' → ')} …` : names.join(' → ');
  for (const id of names) report('GC105', { nodes: listed }, id);
  return order;
}
