/**
 * Automatic layout with ELK's layered algorithm, left to right. Ports are
 * ELK ports in a fixed order (inputs on the west side, outputs on the east),
 * so edges leave and enter nodes where the canvas draws their handles.
 */
import type { ElkNode, ElkPort } from 'elkjs/lib/elk-api';
import { nameRecord } from '../../core/base/names.ts';

export interface LayoutPort {
  name: string;
  /** Centre of the handle from the node's top, in pixels. */
  y: number;
}

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
  inputs: LayoutPort[];
  outputs: LayoutPort[];
}

export interface LayoutEdge {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

const portId = (node: string, side: 'in' | 'out', port: string) => `${node}\u0000${side}\u0000${port}`;
const PORT_SIZE = 8;

export interface LayoutOptions {
  /** Width over height of the rows a long graph wraps into; no wrapping when absent. */
  aspectRatio?: number;
}

/** Below this zoom a graph fitted in the view is too small to read, so the layout wraps it into rows. */
const READABLE_ZOOM = 0.45;

export function toElkGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], options: LayoutOptions = {}): ElkNode {
  const known = new Set(nodes.map((n) => n.id));
  const wrap: Record<string, string> =
    options.aspectRatio !== undefined
      ? { 'elk.layered.wrapping.strategy': 'MULTI_EDGE', 'elk.aspectRatio': options.aspectRatio.toFixed(2), 'elk.layered.wrapping.additionalEdgeSpacing': '24' }
      : {};
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '36',
      'elk.layered.spacing.nodeNodeBetweenLayers': '72',
      'elk.spacing.componentComponent': '60',
      // Balanced Brandes–Köpf keeps chains straight and sources centred on what they feed.
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
      'elk.layered.crossingMinimization.semiInteractive': 'true',
      ...wrap,
    },
    children: nodes.map((node) => {
      // ELK orders ports clockwise from the top-left: east ports top to bottom, west ports bottom to top.
      const outputs: ElkPort[] = node.outputs.map((p, i) => ({
        id: portId(node.id, 'out', p.name),
        x: node.width - PORT_SIZE / 2,
        y: p.y - PORT_SIZE / 2,
        width: PORT_SIZE,
        height: PORT_SIZE,
        layoutOptions: { 'elk.port.side': 'EAST', 'elk.port.index': String(i) },
      }));
      const inputs: ElkPort[] = node.inputs.map((p, i) => ({
        id: portId(node.id, 'in', p.name),
        x: -PORT_SIZE / 2,
        y: p.y - PORT_SIZE / 2,
        width: PORT_SIZE,
        height: PORT_SIZE,
        layoutOptions: { 'elk.port.side': 'WEST', 'elk.port.index': String(node.outputs.length + node.inputs.length - 1 - i) },
      }));
      return {
        id: node.id,
        width: node.width,
        height: node.height,
        layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
        ports: [...outputs, ...inputs],
      };
    }),
    edges: edges
      .filter((e) => known.has(e.source) && known.has(e.target))
      .map((e) => ({ id: e.id, sources: [portId(e.source, 'out', e.sourcePort)], targets: [portId(e.target, 'in', e.targetPort)] })),
  };
}

/**
 * New top-left positions for every node, rounded to whole pixels. Given
 * the view's size, a graph too long to read when fitted in it (a deep
 * chain) wraps into rows shaped like the view.
 */
export async function layoutGraph(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  view?: { width: number; height: number },
): Promise<Record<string, { x: number; y: number }>> {
  if (nodes.length === 0) return {};
  // Loaded on first use: ELK is large and most sessions never lay out.
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const run = async (options: LayoutOptions) => {
    const graph = toElkGraph(nodes, edges, options);
    // Ports referenced by edges must exist; drop edges to ports the canvas does not draw.
    const ports = new Set(graph.children!.flatMap((c) => (c.ports ?? []).map((p) => p.id)));
    graph.edges = graph.edges!.filter((e) => ports.has(e.sources[0]!) && ports.has(e.targets[0]!));
    return elk.layout(graph);
  };
  let result = await run({});
  if (view && view.width > 0 && view.height > 0) {
    const zoom = Math.min(view.width / (result.width ?? 1), view.height / (result.height ?? 1));
    if (zoom < READABLE_ZOOM) result = await run({ aspectRatio: view.width / view.height });
  }
  const positions = nameRecord<{ x: number; y: number }>();
  for (const child of result.children ?? []) positions[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  return positions;
}
