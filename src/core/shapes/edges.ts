/** A scope's edges checked against the ports they join; the ones that can carry data become its wiring. */
import type { NodePlace } from './analysis.ts';
import type { Report, ReportAt, ResolvedNode, Scope, ScopeEdge } from './scope.ts';

export interface Wiring {
  /** Node → input port → the one edge that feeds it. */
  incoming: Map<string, Map<string, ScopeEdge>>;
  outgoing: Map<string, ScopeEdge[]>;
  /** Edges between ports of different types: they feed their input (no GC102 on top) but nothing flows. */
  dead: Set<ScopeEdge>;
}

export function wireScope(scope: Scope, resolved: ReadonlyMap<string, ResolvedNode | null>, report: Report, reportAt: ReportAt, place: (id: string) => NodePlace): Wiring {
  const incoming = new Map<string, Map<string, ScopeEdge>>();
  const outgoing = new Map<string, ScopeEdge[]>();
  const dead = new Set<ScopeEdge>();
  const counts = new Map<string, number>();
  const addEdge = (edge: ScopeEdge) => {
    let ports = incoming.get(edge.target.node);
    if (!ports) incoming.set(edge.target.node, (ports = new Map()));
    if (ports.has(edge.target.port)) return;
    ports.set(edge.target.port, edge);
    let outs = outgoing.get(edge.source.node);
    if (!outs) outgoing.set(edge.source.node, (outs = []));
    outs.push(edge);
  };
  for (const edge of scope.edges) {
    const src = resolved.get(edge.source.node);
    const dst = resolved.get(edge.target.node);
    const blame = dst !== undefined ? edge.target.node : src !== undefined ? edge.source.node : undefined;
    if (src === undefined || dst === undefined) {
      const missing = src === undefined ? edge.source.node : edge.target.node;
      if (blame) report('GC103', { edge: edge.id, what: `node "${missing}"` }, blame);
      else {
        const { module } = place(edge.target.node);
        reportAt('GC103', { edge: edge.id, what: `nodes "${edge.source.node}" and "${edge.target.node}"` }, module ? { module } : {});
      }
      continue;
    }
    if (dst === null) continue; // already reported on the node
    const out = src?.ports.outputs.find((p) => p.name === edge.source.port);
    const inp = dst.ports.inputs.find((p) => p.name === edge.target.port);
    if (src === null) {
      // A broken source was reported on itself; the edge still marks this input as fed.
      if (inp) addEdge(edge);
      continue;
    }
    if (!out) {
      report('GC103', { edge: edge.id, what: `output "${edge.source.port}" of "${edge.source.node}"` }, edge.target.node);
      continue;
    }
    if (!inp) {
      report('GC103', { edge: edge.id, what: `input "${edge.target.port}" of "${edge.target.node}"` }, edge.target.node);
      continue;
    }
    const key = `${edge.target.node}:${edge.target.port}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (out.type !== inp.type) {
      report('GC110', { port: inp.name, from: `${out.type} output "${edge.source.node}.${out.name}"`, to: `a ${inp.type} input` }, edge.target.node, inp.name);
      dead.add(edge);
    }
    addEdge(edge);
  }
  for (const [key, count] of counts) {
    if (count < 2) continue;
    const [node, port] = key.split(':') as [string, string];
    report('GC104', { port, count }, node, port);
  }
  return { incoming, outgoing, dead };
}
