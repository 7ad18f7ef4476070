/**
 * A picture of a graph drawn from the document itself (not a screenshot of
 * the page), in the canvas's look: node cards with their title, name, key
 * params, typed ports and shapes at their saved positions, and edges as the
 * canvas's curves. Used for Download PNG and the gallery's thumbnails.
 * `layoutPicture` is plain geometry; `drawPicture` paints it on a 2D canvas.
 */
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { NodeCategory, PortType } from '../../core/nodes/types.ts';
import { analyze, type Analysis } from '../../core/shapes/analyze.ts';
import type { Severity } from '../../core/base/diagnostics.ts';
import { formatCount, toFlowEdges, toNodeViews, type NodeView, type PortView } from '../canvas/to-flow.ts';

/** Sizes of a node card, as the canvas's stylesheet lays it out. */
export const NODE_WIDTH = 212;
const TOP_BORDER = 3;
const HEAD = 25;
const MODULE_ROW = 22;
const SUMMARY_ROW = 19;
const PORT_ROW = 20;
const PORTS_PAD = 4;
const FOOT = 24;
const PROBLEM_ROW = 15;
const MARGIN = 40;

/** Each category's colour, as the canvas's node cards and minimap show it. */
export const CATEGORY_COLORS: Record<NodeCategory | 'unknown', string> = {
  data: '#0d9488',
  layer: '#64748b',
  block: '#4f46e5',
  flow: '#0891b2',
  objective: '#e11d48',
  sampler: '#7c3aed',
  module: '#d97706',
  unknown: '#94a3b8',
};

export const PORT_COLORS: Record<PortType, string> = {
  tensor: '#2563eb',
  tokens: '#059669',
  schedule: '#9333ea',
  loss: '#ea580c',
};

const EDGE_COLORS: Record<PortType, string> = {
  tensor: '#7ea2ef',
  tokens: '#5fbf9c',
  schedule: '#b78ae8',
  loss: '#f0a070',
};

const ERROR = '#dc2626';
const WARNING = '#f59e0b';

export interface PicturePort extends PortView {
  side: 'in' | 'out';
  x: number;
  y: number;
}

export interface PictureNode {
  view: NodeView;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Offsets from the top of the card to each section. */
  rows: { module?: number; tie?: number; summary?: number; ports?: number; foot?: number; problems?: number };
  ports: PicturePort[];
}

export interface PictureEdge {
  id: string;
  type: PortType;
  problem?: Severity;
  from: { x: number; y: number };
  to: { x: number; y: number };
}

export interface PictureLayout {
  nodes: PictureNode[];
  edges: PictureEdge[];
  /** Bounds of everything drawn, margins included, in document coordinates. */
  bounds: { x: number; y: number; width: number; height: number };
}

const hasFoot = (v: NodeView) => v.paramCount > 0 || Boolean(v.module?.problems) || v.expandable;

/** Geometry of the top-level graph at the nodes' saved positions. */
export function layoutPicture(doc: GraphDocument, analysis: Analysis = analyze(doc)): PictureLayout {
  const positions = new Map(doc.nodes.map((n) => [n.id, n.position]));
  const nodes = toNodeViews(doc, analysis).map((view): PictureNode => {
    const { x, y } = positions.get(view.id)!;
    const rows: PictureNode['rows'] = {};
    let at = TOP_BORDER + HEAD;
    if (view.module) {
      rows.module = at;
      at += MODULE_ROW;
    }
    if (view.tie) {
      rows.tie = at;
      at += MODULE_ROW;
    }
    if (view.summary) {
      rows.summary = at;
      at += SUMMARY_ROW;
    }
    const ports: PicturePort[] = [];
    const count = view.inputs.length + view.outputs.length;
    if (count > 0) {
      rows.ports = at;
      const first = at + PORTS_PAD + PORT_ROW / 2;
      view.inputs.forEach((p, i) => ports.push({ ...p, side: 'in', x, y: y + first + PORT_ROW * i }));
      view.outputs.forEach((p, i) => ports.push({ ...p, side: 'out', x: x + NODE_WIDTH, y: y + first + PORT_ROW * (view.inputs.length + i) }));
      at += PORTS_PAD * 2 + PORT_ROW * count;
    }
    if (hasFoot(view)) {
      rows.foot = at;
      at += FOOT;
    }
    const shown = Math.min(view.diagnostics.length, 2) + (view.diagnostics.length > 2 ? 1 : 0);
    if (shown > 0) {
      rows.problems = at;
      at += 11 + PROBLEM_ROW * shown;
    }
    return { view, x, y, width: NODE_WIDTH, height: at + 1, rows, ports };
  });
  const byId = new Map(nodes.map((n) => [n.view.id, n]));
  const edges: PictureEdge[] = [];
  for (const edge of toFlowEdges(doc, analysis)) {
    const from = byId.get(edge.source)?.ports.find((p) => p.side === 'out' && `out-${p.name}` === edge.sourceHandle);
    const to = byId.get(edge.target)?.ports.find((p) => p.side === 'in' && `in-${p.name}` === edge.targetHandle);
    if (!from || !to || !edge.data) continue;
    const e: PictureEdge = { id: edge.id, type: edge.data.type, from: { x: from.x, y: from.y }, to: { x: to.x, y: to.y } };
    if (edge.data.problem) e.problem = edge.data.problem;
    edges.push(e);
  }
  if (nodes.length === 0) return { nodes, edges, bounds: { x: 0, y: 0, width: 2 * MARGIN + NODE_WIDTH, height: 2 * MARGIN + HEAD } };
  const minX = Math.min(...nodes.map((n) => n.x)) - MARGIN;
  const minY = Math.min(...nodes.map((n) => n.y)) - MARGIN;
  const maxX = Math.max(...nodes.map((n) => n.x + n.width)) + MARGIN;
  const maxY = Math.max(...nodes.map((n) => n.y + n.height)) + MARGIN;
  return { nodes, edges, bounds: { x: minX, y: minY, width: maxX - minX, height: maxY - minY } };
}

/** The canvas's bezier edge (React Flow's, curvature 0.25) from a right-hand port to a left-hand one. */
export function edgeCurve(from: { x: number; y: number }, to: { x: number; y: number }): [number, number, number, number, number, number, number, number] {
  const distance = to.x - from.x;
  const offset = distance >= 0 ? 0.5 * distance : 0.25 * 25 * Math.sqrt(-distance);
  return [from.x, from.y, from.x + offset, from.y, to.x - offset, to.y, to.x, to.y];
}

export interface DrawOptions {
  /** Draws the graph's name above it (the PNG); thumbnails leave it out. */
  title?: string;
  /** False for thumbnails: no text, marks kept visible at a small size. */
  detail?: boolean;
}

const FONT = 'system-ui, "Segoe UI", "DejaVu Sans", sans-serif';
const MONO = 'ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace';
export const TITLE_BAND = 56;

function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (width <= 0) return '';
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${text.slice(0, lo)}…`;
}

function roundedRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function text(ctx: CanvasRenderingContext2D, value: string, x: number, y: number, style: { font: string; color: string; align?: CanvasTextAlign; width: number }) {
  ctx.font = style.font;
  ctx.fillStyle = style.color;
  ctx.textAlign = style.align ?? 'left';
  ctx.fillText(fitText(ctx, value, style.width), x, y);
}

function drawCard(ctx: CanvasRenderingContext2D, node: PictureNode, detail: boolean, pixels: number) {
  const { view, x, y, width, height } = node;
  const cat = CATEGORY_COLORS[view.category];
  const border = view.severity === 'error' ? ERROR : view.severity === 'warning' ? WARNING : '#d4d9e1';
  ctx.save();
  ctx.shadowColor = 'rgba(15, 23, 42, 0.10)';
  ctx.shadowBlur = 4 * pixels;
  ctx.shadowOffsetY = 1 * pixels;
  roundedRect(ctx, x, y, width, height, 7);
  ctx.fillStyle = '#ffffff';
  ctx.fill();
  ctx.restore();
  ctx.save();
  roundedRect(ctx, x, y, width, height, 7);
  ctx.clip();
  // The category's colour along the top, as the canvas's top border; thumbnails show a band.
  ctx.fillStyle = view.severity === 'error' ? ERROR : cat;
  ctx.fillRect(x, y, width, detail ? TOP_BORDER : TOP_BORDER + HEAD);
  if (detail && view.diagnostics.length > 0 && node.rows.problems !== undefined) {
    ctx.fillStyle = view.severity === 'error' ? '#fffafa' : '#fffdf5';
    ctx.fillRect(x, y + node.rows.problems, width, height - node.rows.problems);
  }
  ctx.restore();
  roundedRect(ctx, x + 0.5, y + 0.5, width - 1, height - 1, 7);
  ctx.strokeStyle = border;
  ctx.lineWidth = detail ? (view.severity ? 2 : 1) : Math.max(1, 1 / pixels);
  ctx.stroke();

  const rule = (at: number, color = '#eceef2') => {
    ctx.fillStyle = color;
    ctx.fillRect(x + 1, y + at, width - 2, detail ? 1 : Math.max(1, 1 / pixels));
  };
  if (node.rows.ports !== undefined) rule(node.rows.ports);
  if (node.rows.foot !== undefined) rule(node.rows.foot);
  if (!detail) {
    for (const port of node.ports) {
      ctx.beginPath();
      ctx.arc(port.x, port.y, Math.max(4, 3 / pixels), 0, Math.PI * 2);
      ctx.fillStyle = PORT_COLORS[port.type];
      ctx.fill();
    }
    return;
  }

  ctx.textBaseline = 'middle';
  const inner = width - 20;
  const titleFont = `600 13px ${FONT}`;
  ctx.font = titleFont;
  const title = fitText(ctx, view.title, inner);
  const titleWidth = ctx.measureText(title).width;
  text(ctx, title, x + 10, y + TOP_BORDER + 15, { font: titleFont, color: '#1c2330', width: inner });
  text(ctx, view.label ?? view.id, x + width - 10, y + TOP_BORDER + 15, { font: `10.5px ${MONO}`, color: '#6b7280', align: 'right', width: inner - titleWidth - 8 });
  if (view.module && node.rows.module !== undefined) {
    const badge = view.module.name;
    ctx.font = `500 11px ${FONT}`;
    const shown = fitText(ctx, badge, inner - 70);
    const w = ctx.measureText(shown).width + 14;
    roundedRect(ctx, x + 10, y + node.rows.module + 2, w, 18, 9);
    ctx.fillStyle = '#fef3c7';
    ctx.fill();
    text(ctx, shown, x + 17, y + node.rows.module + 11, { font: `500 11px ${FONT}`, color: '#92400e', width: inner });
    if (view.module.instances > 1) text(ctx, `×${view.module.instances} shared`, x + 16 + w, y + node.rows.module + 11, { font: `11px ${FONT}`, color: '#b45309', width: 70 });
  }
  if (view.tie && node.rows.tie !== undefined) {
    const row = y + node.rows.tie;
    if ('uses' in view.tie) {
      ctx.font = `500 11px ${FONT}`;
      const shown = fitText(ctx, `${view.tie.uses}.${view.tie.variable}`, inner - 40);
      const w = ctx.measureText(shown).width + 14;
      roundedRect(ctx, x + 10, row + 2, w, 18, 9);
      ctx.fillStyle = '#fef3c7';
      ctx.fill();
      text(ctx, shown, x + 17, row + 11, { font: `500 11px ${FONT}`, color: '#92400e', width: inner });
      text(ctx, 'tied', x + 16 + w, row + 11, { font: `11px ${FONT}`, color: '#b45309', width: 40 });
    } else text(ctx, `${view.tie.variable} ×${view.tie.sharedBy + 1} shared`, x + 10, row + 11, { font: `11px ${FONT}`, color: '#b45309', width: inner });
  }
  if (view.summary && node.rows.summary !== undefined) {
    text(ctx, view.summary, x + 10, y + node.rows.summary + 7, { font: `10.5px ${MONO}`, color: '#475569', width: inner });
  }
  for (const port of node.ports) {
    const color = port.problem === 'error' ? ERROR : port.problem === 'warning' ? '#d97706' : '#374151';
    const nameFont = `12px ${FONT}`;
    ctx.font = nameFont;
    const name = fitText(ctx, port.name, inner / 2);
    const nameWidth = ctx.measureText(name).width + (port.optional ? 7 : 0);
    const shape = port.shape ?? '—';
    const shapeStyle = { font: `10.5px ${MONO}`, color: port.problem === 'error' ? ERROR : '#64748b', width: inner - nameWidth - 8 };
    if (port.side === 'in') {
      text(ctx, name, x + 11, port.y, { font: nameFont, color, width: inner });
      if (port.optional) text(ctx, '?', x + 11 + nameWidth - 6, port.y, { font: nameFont, color: '#9ca3af', width: 10 });
      text(ctx, shape, x + width - 11, port.y, { ...shapeStyle, align: 'right' });
    } else {
      text(ctx, name, x + width - 11, port.y, { font: nameFont, color, align: 'right', width: inner });
      text(ctx, shape, x + 11, port.y, shapeStyle);
    }
    // The handle: filled when connected, a ring when not.
    ctx.beginPath();
    ctx.arc(port.x, port.y, 4, 0, Math.PI * 2);
    ctx.fillStyle = port.connected ? PORT_COLORS[port.type] : '#ffffff';
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = port.connected ? '#ffffff' : PORT_COLORS[port.type];
    ctx.stroke();
    if (port.connected) {
      ctx.beginPath();
      ctx.arc(port.x, port.y, 5.5, 0, Math.PI * 2);
      ctx.lineWidth = 1;
      ctx.strokeStyle = PORT_COLORS[port.type];
      ctx.stroke();
    }
  }
  if (node.rows.foot !== undefined) {
    const foot = y + node.rows.foot + 12;
    const small = `11px ${FONT}`;
    if (view.paramCount > 0) text(ctx, `${formatCount(view.paramCount)} params`, x + 10, foot, { font: small, color: '#6b7280', width: inner / 2 });
    if (view.module?.problems) text(ctx, `${view.module.problems} inside`, x + width - 10, foot, { font: small, color: ERROR, align: 'right', width: inner / 2 });
    else if (view.expandable && !view.module) text(ctx, 'block', x + width - 10, foot, { font: small, color: '#9ca3af', align: 'right', width: inner / 2 });
  }
  if (node.rows.problems !== undefined) {
    rule(node.rows.problems, view.severity === 'error' ? '#fde2e2' : '#fdecc8');
    let at = y + node.rows.problems + 5 + PROBLEM_ROW / 2;
    for (const d of view.diagnostics.slice(0, 2)) {
      text(ctx, d.message, x + 10, at, { font: `11px ${FONT}`, color: d.severity === 'error' ? '#b91c1c' : '#b45309', width: inner });
      at += PROBLEM_ROW;
    }
    if (view.diagnostics.length > 2) text(ctx, `+${view.diagnostics.length - 2} more`, x + 10, at, { font: `11px ${FONT}`, color: '#6b7280', width: inner });
  }
  ctx.textAlign = 'left';
}

/**
 * Paints the layout in document coordinates: the caller sets the transform
 * first and passes its scale (pixels per unit), which keeps lines visible
 * in thumbnails.
 */
export function drawPicture(ctx: CanvasRenderingContext2D, layout: PictureLayout, options: DrawOptions & { scale?: number } = {}): void {
  const detail = options.detail ?? true;
  const pixels = options.scale ?? 1;
  ctx.lineCap = 'round';
  for (const edge of layout.edges) {
    const [x0, y0, c1x, c1y, c2x, c2y, x1, y1] = edgeCurve(edge.from, edge.to);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(c1x, c1y, c2x, c2y, x1, y1);
    ctx.strokeStyle = edge.problem === 'error' ? ERROR : EDGE_COLORS[edge.type];
    ctx.setLineDash(edge.problem === 'error' && detail ? [5, 4] : []);
    ctx.lineWidth = detail ? 1.6 : Math.max(1.6, 1.4 / pixels);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  for (const node of layout.nodes) drawCard(ctx, node, detail, pixels);
}

export interface RenderOptions extends DrawOptions {
  /** Pixels per document unit, at most (the picture is shrunk to fit its maximum size). */
  scale?: number;
  maxWidth?: number;
  maxHeight?: number;
  /** A fixed picture size (thumbnails): the graph is fitted and centred in it. */
  width?: number;
  height?: number;
}

function drawTitle(ctx: CanvasRenderingContext2D, title: string, width: number) {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, TITLE_BAND);
  ctx.fillStyle = '#dde1e7';
  ctx.fillRect(0, TITLE_BAND - 1, width, 1);
  // The app's mark: a small gradient square.
  const gradient = ctx.createLinearGradient(20, 19, 38, 37);
  gradient.addColorStop(0, '#2563eb');
  gradient.addColorStop(1, '#7c3aed');
  roundedRect(ctx, 20, 19, 18, 18, 4);
  ctx.fillStyle = gradient;
  ctx.fill();
  ctx.textBaseline = 'middle';
  const note = 'GenComposer · open this picture in GenComposer to edit the graph';
  ctx.font = `12px ${FONT}`;
  const noteWidth = width > 640 ? ctx.measureText(note).width : 0;
  text(ctx, title, 50, TITLE_BAND / 2, { font: `600 18px ${FONT}`, color: '#1c2330', width: width - 70 - noteWidth - 24 });
  if (noteWidth > 0) text(ctx, note, width - 20, TITLE_BAND / 2, { font: `12px ${FONT}`, color: '#8a919c', align: 'right', width: noteWidth + 1 });
}

/** A canvas with the graph drawn on it. */
export function renderGraphPicture(doc: GraphDocument, options: RenderOptions = {}): HTMLCanvasElement {
  const layout = layoutPicture(doc);
  const band = options.title !== undefined ? TITLE_BAND : 0;
  const { bounds } = layout;
  let scale = options.scale ?? 2;
  let width: number;
  let height: number;
  if (options.width && options.height) {
    width = options.width;
    height = options.height;
    scale = Math.min(width / bounds.width, (height - band * scale) / bounds.height, scale);
  } else {
    const contentWidth = Math.max(bounds.width, band > 0 ? 560 : 0);
    scale = Math.min(scale, (options.maxWidth ?? 4096) / contentWidth, (options.maxHeight ?? 4096) / (bounds.height + band));
    width = Math.ceil(contentWidth * scale);
    height = Math.ceil((bounds.height + band) * scale);
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, width);
  canvas.height = Math.max(1, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  ctx.fillStyle = '#f5f6f8';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const top = band * scale;
  // The canvas's dot grid, fixed to the document's coordinates.
  if (options.detail !== false) {
    ctx.fillStyle = '#cfd5de';
    const offsetX = (width - bounds.width * scale) / 2 - bounds.x * scale;
    const offsetY = top + (height - top - bounds.height * scale) / 2 - bounds.y * scale;
    const step = 20 * scale;
    const startX = (((offsetX % step) + step) % step);
    const startY = top + ((((offsetY - top) % step) + step) % step);
    const dot = Math.max(1, scale);
    for (let gx = startX; gx < canvas.width; gx += step) for (let gy = startY; gy < canvas.height; gy += step) ctx.fillRect(gx - dot / 2, gy - dot / 2, dot, dot);
  }
  if (options.title !== undefined) {
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    drawTitle(ctx, options.title, width / scale);
  }
  const offsetX = (width - bounds.width * scale) / 2;
  const offsetY = top + (height - top - bounds.height * scale) / 2;
  ctx.setTransform(scale, 0, 0, scale, offsetX - bounds.x * scale, offsetY - bounds.y * scale);
  drawPicture(ctx, layout, { ...options, scale });
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  return canvas;
}

/** The PNG bytes of a canvas. */
export function canvasPng(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) reject(new Error('the picture could not be encoded'));
      else blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject);
    }, 'image/png');
  });
}
