/**
 * Whether a connection may be made, and why not: port types must match, and
 * the connection must not bring a shape or structure problem that the
 * analysis would report (found by analysing an edited copy).
 */
import { applyEdit, connect, type Connection } from '../../core/edits/recipes.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { PortType } from '../../core/nodes/types.ts';
import { analyze, type Analysis } from '../../core/shapes/analyze.ts';
import type { Diagnostic } from '../../core/base/diagnostics.ts';
import { infosOf, levelOf, portsOfNode } from './to-flow.ts';

export type ConnectionVerdict = { ok: true } | { ok: false; reason: string };

/** Problems a connection itself can cause: one edge too many, a cycle, shapes, port types, rank. */
const CONNECTION_CODES = new Set(['GC104', 'GC105', 'GC106', 'GC110', 'GC112', 'GC113']);

interface PortRef {
  node: string;
  port: string;
  side: 'in' | 'out';
}

/** The type of a port of a node in the scope, or undefined when there is no such port. */
export function portType(doc: GraphDocument, analysis: Analysis, scope: string | undefined, ref: PortRef): PortType | undefined {
  const node = levelOf(doc, scope).nodes.find((n) => n.id === ref.node);
  if (!node) return undefined;
  const ports = portsOfNode(doc, node, infosOf(analysis, scope)?.get(node.id));
  return (ref.side === 'in' ? ports.inputs : ports.outputs).find((p) => p.name === ref.port)?.type;
}

/** The quick check made while dragging: two different nodes, an output to an input of the same type. */
export function typeVerdict(doc: GraphDocument, analysis: Analysis, scope: string | undefined, c: Connection): ConnectionVerdict {
  if (c.source.node === c.target.node) return { ok: false, reason: 'A node cannot feed itself.' };
  const from = portType(doc, analysis, scope, { ...c.source, side: 'out' });
  const to = portType(doc, analysis, scope, { ...c.target, side: 'in' });
  if (from === undefined || to === undefined) return { ok: false, reason: 'Connect an output to an input.' };
  if (from !== to) return { ok: false, reason: `Type mismatch: a ${from} output cannot feed a ${to} input.` };
  return { ok: true };
}

const keyOf = (d: Diagnostic) => `${d.code}|${d.module ?? ''}|${d.node ?? ''}|${d.port ?? ''}|${d.message}`;

/** The full check made on drop. */
export function checkConnection(doc: GraphDocument, analysis: Analysis, scope: string | undefined, c: Connection): ConnectionVerdict {
  const quick = typeVerdict(doc, analysis, scope, c);
  if (!quick.ok) return quick;
  let after: Analysis;
  try {
    after = analyze(applyEdit(doc, connect(c, scope)).document);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const before = new Set(analysis.diagnostics.map(keyOf));
  const fresh = after.diagnostics.filter((d) => d.severity === 'error' && CONNECTION_CODES.has(d.code) && !before.has(keyOf(d)));
  if (fresh.length === 0) return { ok: true };
  const first = fresh.find((d) => d.node === c.target.node) ?? fresh[0]!;
  const where = first.node !== undefined && first.node !== c.target.node ? `${first.node}: ` : '';
  return { ok: false, reason: `${where}${first.message}` };
}
