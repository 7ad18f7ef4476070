/**
 * The document and its analysis as React Flow nodes and edges, and React
 * Flow's gestures back as core recipes. Pure: no React, no DOM.
 */
import type { Connection as FlowConnection, Edge, Node } from '@xyflow/react';
import { nameRecord } from '../../core/base/names.ts';
import { connect, moveNodes, type Connection, type Recipe } from '../../core/edits/recipes.ts';
import type { GraphDocument, GraphEdge, GraphFrame, GraphNode } from '../../core/graph/schema.ts';
import { getNodeDefinition } from '../../core/nodes/registry.ts';
import { portsOf, type NodeCategory, type NodePorts, type PortSpec, type PortType } from '../../core/nodes/types.ts';
import type { Analysis, NodeInfo } from '../../core/shapes/analyze.ts';
import type { Diagnostic, Severity } from '../../core/base/diagnostics.ts';
import { formatShape } from '../../core/base/shape.ts';

export type PortView = {
  name: string;
  type: PortType;
  /** Inferred shape, formatted; undefined when it could not be inferred. */
  shape?: string;
  optional: boolean;
  doc?: string;
  connected: boolean;
  /** The worst problem reported on this port. */
  problem?: Severity;
};

export type ModuleBadge = {
  id: string;
  name: string;
  /** Instances of the module in the whole document. */
  instances: number;
  /** Problems reported inside the module's body. */
  problems: number;
};

export type TieBadge = { uses: string; variable: string } | { sharedBy: number; variable: string };

export type NodeView = {
  id: string;
  kind: string;
  category: NodeCategory | 'unknown';
  title: string;
  label?: string;
  summary: string;
  inputs: PortView[];
  outputs: PortView[];
  paramCount: number;
  diagnostics: Diagnostic[];
  severity?: Severity;
  module?: ModuleBadge;
  /** Weight tying: the node whose matrix this one uses (its `tiedTo`), or how many nodes use this one's. */
  tie?: TieBadge;
  /** A block that can be opened into its primitives. */
  expandable: boolean;
  /** Drawn as a compact card. */
  collapsed: boolean;
};

export type FlowNode = Node<NodeView, 'graph'>;
export type EdgeView = { type: PortType; problem?: Severity };
export type FlowEdge = Edge<EdgeView>;

export const PORT_TYPES: readonly PortType[] = ['tensor', 'tokens', 'schedule', 'loss'];

/** Handle ids: inputs and outputs may share a name, so the side is part of the id. */
export const handleId = (side: 'in' | 'out', port: string): string => `${side}-${port}`;

export function portOfHandle(handle: string | null | undefined): string | undefined {
  if (!handle) return undefined;
  const match = /^(in|out)-(.+)$/.exec(handle);
  return match ? match[2] : undefined;
}

export interface Level {
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
  frames: readonly GraphFrame[];
}

/** The nodes, edges and frames shown for a scope: the top-level graph or a module's body. */
export function levelOf(doc: GraphDocument, scope: string | undefined): Level {
  if (scope === undefined) return doc;
  return doc.modules.find((m) => m.id === scope) ?? { nodes: [], edges: [], frames: [] };
}

export function infosOf(analysis: Analysis, scope: string | undefined): Map<string, NodeInfo> | undefined {
  return scope === undefined ? analysis.nodes : analysis.modules.get(scope);
}

/** Diagnostics about one node of a scope. */
export function diagnosticsFor(analysis: Analysis, scope: string | undefined, nodeId: string): Diagnostic[] {
  return analysis.diagnostics.filter((d) => d.node === nodeId && d.module === scope);
}

export function worst(diagnostics: readonly Diagnostic[]): Severity | undefined {
  if (diagnostics.some((d) => d.severity === 'error')) return 'error';
  return diagnostics.length > 0 ? 'warning' : undefined;
}

/** A module's ports from its ModuleInput and ModuleOutput nodes (for instances the analysis did not reach). */
function modulePorts(doc: GraphDocument, moduleId: unknown): NodePorts {
  const mod = doc.modules.find((m) => m.id === moduleId);
  const inputs: PortSpec[] = [];
  const outputs: PortSpec[] = [];
  for (const node of mod?.nodes ?? []) {
    const type = (node.params.type === 'tokens' ? 'tokens' : 'tensor') as PortType;
    if (node.kind === 'ModuleInput') inputs.push({ name: String(node.params.name ?? 'x'), type });
    if (node.kind === 'ModuleOutput') outputs.push({ name: String(node.params.name ?? 'y'), type });
  }
  return { inputs, outputs };
}

/** Ports of a node: from the analysis when it got there, else from its definition. */
export function portsOfNode(doc: GraphDocument, node: GraphNode, info: NodeInfo | undefined): NodePorts {
  if (info) return info.ports;
  if (node.kind === 'Module') return modulePorts(doc, node.params.module);
  const def = getNodeDefinition(node.kind);
  if (!def) return { inputs: [], outputs: [] };
  const parsed = def.params.safeParse(node.params);
  if (parsed.success) return portsOf(def, parsed.data);
  const defaults = def.params.safeParse({});
  return defaults.success ? portsOf(def, defaults.data) : { inputs: [], outputs: [] };
}

/** A loose end of a wire dropped on the empty canvas: the port it came from. */
export interface LooseWire {
  node: string;
  port: string;
  /** The side of that port: from an output, the new node takes it in; from an input, the new node feeds it. */
  side: 'in' | 'out';
  type: PortType;
}

/**
 * The port of a new node of this kind (with these params) that takes the
 * loose wire: its first input of the wire's type for a wire from an output,
 * its first output of that type for a wire from an input; required inputs
 * before optional ones. Undefined when the kind has none.
 */
export function portForWire(doc: GraphDocument, item: { kind: string; params?: Record<string, unknown> }, wire: LooseWire): string | undefined {
  const ports = portsOfNode(doc, { id: '', kind: item.kind, params: item.params ?? {}, position: { x: 0, y: 0 } } as GraphNode, undefined);
  if (wire.side === 'in') return ports.outputs.find((p) => p.type === wire.type)?.name;
  const fitting = ports.inputs.filter((p) => p.type === wire.type);
  return (fitting.find((p) => !p.optional) ?? fitting[0])?.name;
}

/** Instances of each module over the whole document. */
export function instanceCounts(doc: GraphDocument): Map<string, number> {
  const counts = new Map<string, number>();
  for (const level of [doc, ...doc.modules]) {
    for (const node of level.nodes) {
      if (node.kind !== 'Module') continue;
      const id = String(node.params.module);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

function summaryOf(node: GraphNode, info: NodeInfo | undefined): string {
  if (node.kind === 'Module') return '';
  const def = getNodeDefinition(node.kind);
  if (!def?.summary) return '';
  let params: unknown = info?.params;
  if (params === undefined) {
    const parsed = def.params.safeParse(node.params);
    if (!parsed.success) return '';
    params = parsed.data;
  }
  try {
    return def.summary(params);
  } catch {
    return '';
  }
}

function portViews(specs: readonly PortSpec[], values: NodeInfo['inputs'] | undefined, connected: Set<string>, problems: Map<string, Severity>): PortView[] {
  return specs.map((spec) => {
    const view: PortView = { name: spec.name, type: spec.type, optional: spec.optional ?? false, connected: connected.has(spec.name) };
    const value = values?.[spec.name];
    if (value) view.shape = formatShape(value.shape);
    if (spec.doc) view.doc = spec.doc;
    const problem = problems.get(spec.name);
    if (problem) view.problem = problem;
    return view;
  });
}

/** What the canvas draws for each node of a scope. */
export function toNodeViews(doc: GraphDocument, analysis: Analysis, scope?: string): NodeView[] {
  const level = levelOf(doc, scope);
  const infos = infosOf(analysis, scope);
  const counts = instanceCounts(doc);
  const connectedIn = new Map<string, Set<string>>();
  const connectedOut = new Map<string, Set<string>>();
  const mark = (map: Map<string, Set<string>>, node: string, port: string) => {
    let set = map.get(node);
    if (!set) map.set(node, (set = new Set()));
    set.add(port);
  };
  for (const edge of level.edges) {
    mark(connectedOut, edge.source.node, edge.source.port);
    mark(connectedIn, edge.target.node, edge.target.port);
  }
  const byNode = new Map<string, Diagnostic[]>();
  for (const d of analysis.diagnostics) {
    if (d.node === undefined || d.module !== scope) continue;
    let list = byNode.get(d.node);
    if (!list) byNode.set(d.node, (list = []));
    list.push(d);
  }

  const ties = tiesOf(level);
  return level.nodes.map((node) => {
    const def = getNodeDefinition(node.kind);
    const info = infos?.get(node.id);
    const ports = portsOfNode(doc, node, info);
    const diagnostics = byNode.get(node.id) ?? [];
    const inputNames = new Set(ports.inputs.map((p) => p.name));
    const inputProblems = new Map<string, Severity>();
    const outputProblems = new Map<string, Severity>();
    for (const d of diagnostics) {
      if (d.port === undefined) continue;
      // Names can repeat across sides; a problem on a name that is an input belongs to the input.
      const map = inputNames.has(d.port) ? inputProblems : outputProblems;
      if (map.get(d.port) !== 'error') map.set(d.port, d.severity);
    }
    const view: NodeView = {
      id: node.id,
      kind: node.kind,
      category: def?.category ?? 'unknown',
      // The badge names the module; the title only says what the node is.
      title: node.kind === 'Module' ? 'Module' : (def?.title ?? node.kind),
      summary: summaryOf(node, info),
      inputs: portViews(ports.inputs, info?.inputs, connectedIn.get(node.id) ?? new Set(), inputProblems),
      outputs: portViews(ports.outputs, info?.outputs, connectedOut.get(node.id) ?? new Set(), outputProblems),
      paramCount: info?.paramCount ?? 0,
      diagnostics,
      expandable: Boolean(def?.expand),
      collapsed: node.collapsed === true,
    };
    if (node.label !== undefined) view.label = node.label;
    const severity = worst(diagnostics);
    if (severity) view.severity = severity;
    const tie = tieBadge(node, ties);
    if (tie) view.tie = tie;
    if (node.kind === 'Module') {
      const id = String(node.params.module);
      const mod = doc.modules.find((m) => m.id === id);
      view.module = {
        id,
        name: mod?.name ?? id,
        instances: counts.get(id) ?? 0,
        problems: analysis.diagnostics.filter((d) => d.module === id).length,
      };
    }
    return view;
  });
}

interface Ties {
  nodes: Map<string, GraphNode>;
  /** How many nodes of the scope use each node's weights. */
  users: Map<string, number>;
}

/** The scope's nodes by id and its ties counted, once for all badges (a search per node was quadratic in big graphs). */
function tiesOf(level: Level): Ties {
  const users = new Map<string, number>();
  for (const n of level.nodes) {
    const tiedTo = n.params.tiedTo;
    if (typeof tiedTo === 'string' && tiedTo !== '') users.set(tiedTo, (users.get(tiedTo) ?? 0) + 1);
  }
  return { nodes: new Map(level.nodes.map((n) => [n.id, n])), users };
}

/** The tie badge of a node: the node whose weights it uses (`tiedTo`), else how many nodes of its scope use its own. */
function tieBadge(node: GraphNode, ties: Ties): TieBadge | undefined {
  const tiedTo = node.params.tiedTo;
  if (typeof tiedTo === 'string' && tiedTo !== '') {
    const lender = ties.nodes.get(tiedTo);
    return { uses: tiedTo, variable: (lender && getNodeDefinition(lender.kind)?.lends) ?? 'weights' };
  }
  const variable = getNodeDefinition(node.kind)?.lends;
  if (!variable) return undefined;
  const sharedBy = ties.users.get(node.id) ?? 0;
  return sharedBy > 0 ? { sharedBy, variable } : undefined;
}

export function toFlowNodes(doc: GraphDocument, analysis: Analysis, scope?: string, selection: readonly string[] = [], views = toNodeViews(doc, analysis, scope)): FlowNode[] {
  const selected = new Set(selection);
  const positions = new Map(levelOf(doc, scope).nodes.map((n) => [n.id, n.position]));
  return views.map((view) => ({
    id: view.id,
    type: 'graph',
    position: { ...positions.get(view.id)! },
    data: view,
    selected: selected.has(view.id),
  }));
}

export function toFlowEdges(doc: GraphDocument, analysis: Analysis, scope?: string): FlowEdge[] {
  const level = levelOf(doc, scope);
  const infos = infosOf(analysis, scope);
  const targetProblems = new Map<string, Severity>();
  for (const d of analysis.diagnostics) {
    if (d.module !== scope || d.node === undefined || d.port === undefined) continue;
    const key = `${d.node}:${d.port}`;
    if (targetProblems.get(key) !== 'error') targetProblems.set(key, d.severity);
  }
  const nodes = new Map(level.nodes.map((n) => [n.id, n]));
  return level.edges.map((edge) => {
    const source = nodes.get(edge.source.node);
    const ports = source ? portsOfNode(doc, source, infos?.get(source.id)) : undefined;
    const type = ports?.outputs.find((p) => p.name === edge.source.port)?.type ?? 'tensor';
    const data: EdgeView = { type };
    const problem = targetProblems.get(`${edge.target.node}:${edge.target.port}`);
    if (problem) data.problem = problem;
    return {
      id: edge.id,
      source: edge.source.node,
      sourceHandle: handleId('out', edge.source.port),
      target: edge.target.node,
      targetHandle: handleId('in', edge.target.port),
      className: `edge-${type}${problem ? ` edge-${problem}` : ''}`,
      data,
    };
  });
}

/** A React Flow connection as the core's; undefined when it does not name two ports. */
export function toConnection(connection: FlowConnection): Connection | undefined {
  const sourcePort = portOfHandle(connection.sourceHandle);
  const targetPort = portOfHandle(connection.targetHandle);
  if (!connection.source || !connection.target || sourcePort === undefined || targetPort === undefined) return undefined;
  return { source: { node: connection.source, port: sourcePort }, target: { node: connection.target, port: targetPort } };
}

export function connectionToRecipe(connection: FlowConnection, scope?: string): Recipe<string> | undefined {
  const c = toConnection(connection);
  return c ? connect(c, scope) : undefined;
}

/** Positions after a drag, rounded; undefined when nothing moved. */
export function dragStopToRecipe(
  doc: GraphDocument,
  moved: readonly { id: string; position: { x: number; y: number } }[],
  scope?: string,
): Recipe | undefined {
  const current = new Map(levelOf(doc, scope).nodes.map((n) => [n.id, n.position]));
  const positions = nameRecord<{ x: number; y: number }>();
  for (const node of moved) {
    const before = current.get(node.id);
    const to = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
    if (before && (before.x !== to.x || before.y !== to.y)) positions[node.id] = to;
  }
  return Object.keys(positions).length > 0 ? moveNodes(positions, scope) : undefined;
}

/** Trainable numbers, short: 784, 12.5k, 1.2M. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0).replace(/\.0$/, '')}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1).replace(/\.?0+$/, '')}M`;
}
