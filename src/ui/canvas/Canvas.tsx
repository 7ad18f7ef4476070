/**
 * The canvas: the level being edited (the graph or a module's body) drawn
 * with React Flow, with every gesture turned into a store edit.
 */
import {
  applyNodeChanges,
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  getViewportForBounds,
  ReactFlow,
  useReactFlow,
  type Connection as FlowConnection,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type OnConnectEnd,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import { addFrame, applyEdit, connect, disconnect, moveFrame, removeFrame, setCollapsed, updateFrame } from '../../core/edits/recipes.ts';
import { FRAME_COLORS } from '../../core/graph/schema.ts';
import { analyze } from '../../core/shapes/analyze.ts';
import { DRAG_MIME, type CatalogItem } from '../palette/catalog.ts';
import { CATEGORY_COLORS } from '../sharing/graph-picture.ts';
import { openGraphFile } from '../sharing/open-file.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';
import { Breadcrumb } from './Breadcrumb.tsx';
import { nodeBox, pointer, useCanvasCommands } from './commands.ts';
import { checkConnection, typeVerdict } from './connection-check.ts';
import { ExpandDialog } from './ExpandDialog.tsx';
import { NODE_TYPES } from './GraphNode.tsx';
import { notify } from '../notices.ts';
import { ContextMenu, type MenuItem } from './ContextMenu.tsx';
import { Frames, type FrameHandlers } from './Frames.tsx';
import { QuickAdd } from './QuickAdd.tsx';
import { dragStopToRecipe, infosOf, levelOf, portForWire, portOfHandle, portsOfNode, toConnection, toFlowEdges, toFlowNodes, toNodeViews, type FlowEdge, type FlowNode, type LooseWire } from './to-flow.ts';

const REFUSAL_MS = 3500;
const NO_EDGES: FlowEdge[] = [];
/** The least zoom a graph opens at: below it a node's text is under about 4.5 px. */
const OPENING_ZOOM = 0.38;
const OPENING_MARGIN = 40;
/** Room a new frame leaves around its nodes, and for its title above them. */
const FRAME_PADDING = 30;
const FRAME_TITLE = 24;

/** Keeps React Flow's measurements and unchanged objects, so only what changed re-renders. */
function adopt(next: FlowNode[], previous: FlowNode[]): FlowNode[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  return next.map((node) => {
    const old = before.get(node.id);
    if (!old) return node;
    const sameData = JSON.stringify(old.data) === JSON.stringify(node.data);
    const data = sameData ? old.data : node.data;
    if (sameData && old.position.x === node.position.x && old.position.y === node.position.y && Boolean(old.selected) === Boolean(node.selected) && !old.dragging) {
      return old;
    }
    return { ...node, data, ...(old.measured ? { measured: old.measured } : {}) };
  });
}

/** Keeps the edge objects that did not change, so that moving one node re-renders none of the other edges. */
function adoptEdges(next: FlowEdge[], previous: FlowEdge[]): FlowEdge[] {
  const before = new Map(previous.map((e) => [e.id, e]));
  return next.map((edge) => {
    const old = before.get(edge.id);
    return old && JSON.stringify(old) === JSON.stringify(edge) ? old : edge;
  });
}

/** The port a wire was dragged from, with its type; undefined if it cannot be found. */
function looseWire(node: string, handle: string | null | undefined, side: 'in' | 'out'): LooseWire | undefined {
  const port = portOfHandle(handle);
  const { document: doc, analysis, scope } = getEditor();
  const graphNode = levelOf(doc, scope).nodes.find((n) => n.id === node);
  if (port === undefined || !graphNode) return undefined;
  const ports = portsOfNode(doc, graphNode, infosOf(analysis, scope)?.get(node));
  const type = (side === 'out' ? ports.outputs : ports.inputs).find((p) => p.name === port)?.type;
  return type ? { node, port, side, type } : undefined;
}

function clientPoint(event: MouseEvent | TouchEvent): { x: number; y: number } {
  if ('changedTouches' in event && event.changedTouches.length > 0) return { x: event.changedTouches[0]!.clientX, y: event.changedTouches[0]!.clientY };
  const e = event as MouseEvent;
  return { x: e.clientX, y: e.clientY };
}

export function Canvas() {
  const document = useEditor((s) => s.document);
  const analysis = useEditor((s) => s.analysis);
  const scope = useEditor((s) => s.scope);
  const selection = useEditor((s) => s.selection);
  const edgeSelection = useEditor((s) => s.edgeSelection);
  const generation = useEditor((s) => s.generation);
  const focus = useEditor((s) => s.focus);
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const commands = useCanvasCommands();
  const wrapper = useRef<HTMLDivElement>(null);

  // The views follow the graph; a new selection only marks nodes (in a 1,000-node graph the views take tens of ms).
  const views = useMemo(() => toNodeViews(document, analysis, scope), [document, analysis, scope]);
  const flowNodes = useMemo(() => toFlowNodes(document, analysis, scope, selection, views), [document, analysis, scope, selection, views]);
  const [nodes, setNodes] = useState<FlowNode[]>(flowNodes);
  // Another graph or level may reuse node ids (every preset has a "data"): React Flow would keep the old node's
  // element and its handles, and draw the new edges against them (its warning #008). So the old nodes leave for
  // one render, without edges, and the new ones come in unmeasured; the edges follow once they are in.
  const level = `${generation}\u0000${scope ?? ''}`;
  const [nodesLevel, setNodesLevel] = useState<string | undefined>(level);
  useEffect(() => {
    if (nodesLevel === level) setNodes((previous) => adopt(flowNodes, previous));
    else if (nodesLevel !== undefined) {
      setNodes([]);
      setNodesLevel(undefined);
    } else {
      setNodes(flowNodes);
      setNodesLevel(level);
    }
  }, [flowNodes, level, nodesLevel]);

  const previousEdges = useRef<FlowEdge[]>([]);
  const flowEdges = useMemo(() => adoptEdges(toFlowEdges(document, analysis, scope), previousEdges.current), [document, analysis, scope]);
  const edges = useMemo(() => {
    const chosen = new Set(edgeSelection);
    return flowEdges.map((e) => (chosen.has(e.id) ? { ...e, selected: true } : e));
  }, [flowEdges, edgeSelection]);
  previousEdges.current = flowEdges;

  // A new document or another level: show all of it once it is measured, or, when all of it would be too small to
  // read, its start (the left, where its data comes in) at a readable zoom; Fit (F) and the minimap show the rest.
  useEffect(() => {
    const timer = setTimeout(() => {
      const box = wrapper.current;
      const shown = rf.getNodes();
      if (!box || shown.length === 0) return void rf.fitView({ padding: 0.15, maxZoom: 1.1 });
      const bounds = rf.getNodesBounds(shown);
      const fitted = getViewportForBounds(bounds, box.clientWidth, box.clientHeight, 0.15, 1.1, 0.15);
      if (fitted.zoom >= OPENING_ZOOM) return void rf.setViewport(fitted);
      const start = Math.max(0, (box.clientHeight - bounds.height * OPENING_ZOOM) / 2);
      void rf.setViewport({ x: OPENING_MARGIN - bounds.x * OPENING_ZOOM, y: Math.max(OPENING_MARGIN, start) - bounds.y * OPENING_ZOOM, zoom: OPENING_ZOOM });
    }, 60);
    return () => clearTimeout(timer);
  }, [generation, scope, rf]);

  // Centre on a node someone asked for (the problems panel).
  useEffect(() => {
    if (!focus || focus.scope !== scope) return;
    const timer = setTimeout(() => {
      const node = rf.getInternalNode(focus.node);
      if (!node) return;
      const x = node.internals.positionAbsolute.x + (node.measured.width ?? 200) / 2;
      const y = node.internals.positionAbsolute.y + (node.measured.height ?? 100) / 2;
      void rf.setCenter(x, y, { zoom: Math.max(rf.getZoom(), 1), duration: 300 });
    }, 80);
    return () => clearTimeout(timer);
  }, [focus, scope, rf]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    setNodes((current) => applyNodeChanges(changes, current));
    // A drag's end and a move with the arrow keys settle positions: one undo step each.
    const settled = changes.flatMap((c) => (c.type === 'position' && !c.dragging && c.position ? [{ id: c.id, position: c.position }] : []));
    if (settled.length > 0) {
      const { document: doc, scope: level } = getEditor();
      const recipe = dragStopToRecipe(doc, settled, level);
      if (recipe) getEditor().edit(recipe, settled.length > 1 ? `Move ${settled.length} nodes` : 'Move');
    }
    const selects = changes.filter((c) => c.type === 'select');
    if (selects.length === 0) return;
    const chosen = new Set(getEditor().selection);
    for (const c of selects) {
      if (c.selected) chosen.add(c.id);
      else chosen.delete(c.id);
    }
    getEditor().select([...chosen]);
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdge>[]) => {
    const selects = changes.filter((c) => c.type === 'select');
    if (selects.length === 0) return;
    const chosen = new Set(getEditor().edgeSelection);
    for (const c of selects) {
      if (c.selected) chosen.add(c.id);
      else chosen.delete(c.id);
    }
    getEditor().selectEdges([...chosen]);
  }, []);

  const onNodeDragStop = useCallback((_event: unknown, _node: FlowNode, moved: FlowNode[]) => {
    const { document: doc, scope: level } = getEditor();
    const recipe = dragStopToRecipe(doc, moved, level);
    if (recipe) getEditor().edit(recipe, moved.length > 1 ? `Move ${moved.length} nodes` : 'Move');
  }, []);

  // Connections: the type check runs while dragging; the full check (shapes, cycles) on drop.
  const [refusal, setRefusal] = useState<{ text: string; x: number; y: number; key: number } | null>(null);
  const pendingRefusal = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!refusal) return;
    const timer = setTimeout(() => setRefusal(null), REFUSAL_MS);
    return () => clearTimeout(timer);
  }, [refusal]);

  const showRefusal = (event: MouseEvent | TouchEvent, text: string) => {
    const rect = wrapper.current?.getBoundingClientRect();
    const p = clientPoint(event);
    setRefusal({ text, x: p.x - (rect?.left ?? 0), y: p.y - (rect?.top ?? 0), key: Date.now() });
  };

  const isValidConnection: IsValidConnection<FlowEdge> = useCallback((candidate) => {
    const c = toConnection(candidate as FlowConnection);
    if (!c) return false;
    const { document: doc, analysis: a, scope: level } = getEditor();
    return typeVerdict(doc, a, level, c).ok;
  }, []);

  const onConnect = useCallback((connection: FlowConnection) => {
    const c = toConnection(connection);
    if (!c) return;
    const { document: doc, analysis: a, scope: level } = getEditor();
    const verdict = checkConnection(doc, a, level, c);
    if (!verdict.ok) {
      pendingRefusal.current = verdict.reason;
      return;
    }
    // An input takes one wire: say plainly which one the new wire replaced.
    const replaced = levelOf(doc, level).edges.find((e) => e.target.node === c.target.node && e.target.port === c.target.port);
    getEditor().edit(connect(c, level), 'Connect');
    if (replaced && (replaced.source.node !== c.source.node || replaced.source.port !== c.source.port)) {
      notify('info', `Replaced the wire ${replaced.source.node}.${replaced.source.port} → ${c.target.node}.${c.target.port}: an input takes one wire (Undo brings it back).`);
    }
  }, []);

  const onConnectEnd: OnConnectEnd = useCallback((event, state: FinalConnectionState) => {
    let reason = pendingRefusal.current;
    pendingRefusal.current = undefined;
    if (reason === undefined && state.isValid === false && state.toHandle && state.fromHandle) {
      // Dropped on a port that does not fit: say why.
      const from = { node: state.fromHandle.nodeId, handle: state.fromHandle.id };
      const to = { node: state.toHandle.nodeId, handle: state.toHandle.id };
      const [source, target] = state.fromHandle.type === 'source' ? [from, to] : [to, from];
      const c = toConnection({ source: source.node, sourceHandle: source.handle ?? null, target: target.node, targetHandle: target.handle ?? null });
      const { document: doc, analysis: a, scope: level } = getEditor();
      const verdict = c ? typeVerdict(doc, a, level, c) : { ok: false as const, reason: 'Connect an output to an input.' };
      reason = verdict.ok ? undefined : verdict.reason;
    }
    if (reason !== undefined) {
      showRefusal(event, reason);
      return;
    }
    // Dropped on the empty canvas: a search for a node to wire it to, there.
    const target = event.target as Element | null;
    const onEmptyCanvas = Boolean(target?.closest?.('.react-flow')) && !target?.closest?.('.react-flow__node, .react-flow__controls, .react-flow__minimap');
    if (!state.isValid && !state.toHandle && state.fromHandle && onEmptyCanvas) {
      const wire = looseWire(state.fromHandle.nodeId, state.fromHandle.id, state.fromHandle.type === 'source' ? 'out' : 'in');
      const rect = wrapper.current?.getBoundingClientRect();
      const p = clientPoint(event);
      if (wire && rect) setQuickAdd({ x: p.x - rect.left, y: p.y - rect.top, client: p, wire });
    }
  }, []);

  // Dragging an end of an edge to another port moves the edge, checked like a new connection.
  const onReconnect = useCallback((old: FlowEdge, connection: FlowConnection) => {
    const c = toConnection(connection);
    if (!c) return;
    const { document: doc, scope: level } = getEditor();
    const without = applyEdit(doc, disconnect([old.id], level)).document;
    const verdict = checkConnection(without, analyze(without), level, c);
    if (!verdict.ok) {
      pendingRefusal.current = verdict.reason;
      return;
    }
    getEditor().edit((draft) => {
      disconnect([old.id], level)(draft);
      connect(c, level)(draft);
    }, 'Reconnect');
  }, []);

  const onReconnectEnd = useCallback((event: MouseEvent | TouchEvent) => {
    const reason = pendingRefusal.current;
    pendingRefusal.current = undefined;
    if (reason !== undefined) showRefusal(event, reason);
  }, []);

  // Adding nodes: drop from the palette, or double-click the empty canvas for a search box.
  const [quickAdd, setQuickAdd] = useState<{ x: number; y: number; client: { x: number; y: number }; wire?: LooseWire } | null>(null);
  const wireAccepts = useMemo(() => {
    const wire = quickAdd?.wire;
    return wire ? (item: CatalogItem) => portForWire(getEditor().document, item, wire) !== undefined : undefined;
  }, [quickAdd]);
  const [expanding, setExpanding] = useState<string | null>(null);

  const onDragOver = useCallback((event: DragEvent) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = event.dataTransfer.types.includes('Files') ? 'copy' : 'move';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      event.preventDefault();
      const file = event.dataTransfer.files[0];
      if (file) {
        void openGraphFile(file);
        return;
      }
      const raw = event.dataTransfer.getData(DRAG_MIME);
      if (!raw) return;
      try {
        const item = JSON.parse(raw) as Pick<CatalogItem, 'kind' | 'params'>;
        commands.add(item, { x: event.clientX, y: event.clientY });
      } catch {
        // Not ours: ignore.
      }
    },
    [commands],
  );

  const onDoubleClick = useCallback((event: ReactMouseEvent) => {
    const target = event.target as HTMLElement;
    if (!target.classList.contains('react-flow__pane')) return;
    const rect = wrapper.current!.getBoundingClientRect();
    setQuickAdd({ x: event.clientX - rect.left, y: event.clientY - rect.top, client: { x: event.clientX, y: event.clientY } });
  }, []);

  // The context menu: what applies to the node, edge or spot of canvas that was right-clicked.
  const [menu, setMenu] = useState<{ x: number; y: number; items: MenuItem[] } | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const openMenu = (event: ReactMouseEvent | MouseEvent, items: MenuItem[]) => {
    event.preventDefault();
    const rect = wrapper.current!.getBoundingClientRect();
    setQuickAdd(null);
    setMenu({ x: event.clientX - rect.left, y: event.clientY - rect.top, items });
  };

  const onNodeContextMenu = (event: ReactMouseEvent, node: FlowNode) => {
    if (!getEditor().selection.includes(node.id)) getEditor().select([node.id]);
    const chosen = getEditor().selection;
    const items: MenuItem[] = [];
    if (node.data.module) items.push({ label: 'Open module', run: () => commands.openModule(node.data.module!.id), testId: 'open-module' });
    else if (node.data.expandable) items.push({ label: 'Expand into primitives…', run: () => setExpanding(node.id), testId: 'expand' });
    items.push(
      { label: 'Duplicate', keys: 'Ctrl+D', run: commands.duplicate, testId: 'duplicate' },
      { label: 'Group into module', keys: 'Ctrl+G', run: commands.group, disabled: !commands.canGroup(), testId: 'group' },
    );
    if (commands.canUngroup()) items.push({ label: 'Ungroup', keys: 'Ctrl+Shift+G', run: commands.ungroup, testId: 'ungroup' });
    items.push(
      node.data.collapsed
        ? { label: 'Show in full', run: () => getEditor().edit(setCollapsed(chosen, false, scope), 'Show in full'), testId: 'expand-card' }
        : { label: 'Collapse to a card', run: () => getEditor().edit(setCollapsed(chosen, true, scope), 'Collapse'), testId: 'collapse' },
      { label: 'Frame the selection', run: () => frameAround(chosen), testId: 'frame' },
      { label: 'Delete', keys: 'Del', run: commands.deleteSelection, testId: 'delete' },
    );
    openMenu(event, items);
  };

  const onEdgeContextMenu = (event: ReactMouseEvent, edge: FlowEdge) => {
    getEditor().select([]);
    getEditor().selectEdges([edge.id]);
    openMenu(event, [{ label: 'Delete edge', keys: 'Del', run: commands.deleteSelection, testId: 'delete-edge' }]);
  };

  const onPaneContextMenu = (event: ReactMouseEvent | MouseEvent) => {
    const client = { x: event.clientX, y: event.clientY };
    const rect = wrapper.current!.getBoundingClientRect();
    openMenu(event, [
      { label: 'Add node here…', run: () => setQuickAdd({ x: client.x - rect.left, y: client.y - rect.top, client }), testId: 'add-here' },
      { label: 'Paste here', keys: 'Ctrl+V', run: () => commands.paste(client), disabled: !commands.canPaste(), testId: 'paste' },
      { label: 'Select all', keys: 'Ctrl+A', run: commands.selectAll, testId: 'select-all' },
      { label: 'Lay out', keys: 'Shift+L', run: () => void commands.layout(), testId: 'layout' },
      { label: 'Fit the view', keys: 'F', run: commands.fit, testId: 'fit' },
    ]);
  };

  // Frames: drawn behind the nodes; moving one moves the nodes whose centre was inside it when the move began.
  const frames = levelOf(document, scope).frames;
  const [renamingFrame, setRenamingFrame] = useState<string | undefined>(undefined);
  const nodesNow = useRef(nodes);
  nodesNow.current = nodes;
  const frameMove = useRef<Map<string, { x: number; y: number }>>(new Map());

  const frameAround = (ids: readonly string[]) => {
    const boxes = nodesNow.current.filter((n) => ids.includes(n.id)).map(nodeBox);
    if (boxes.length === 0) return;
    const left = Math.min(...boxes.map((b) => b.x)) - FRAME_PADDING;
    const top = Math.min(...boxes.map((b) => b.y)) - FRAME_PADDING - FRAME_TITLE;
    const right = Math.max(...boxes.map((b) => b.x + b.width)) + FRAME_PADDING;
    const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + FRAME_PADDING;
    const title = `Frame ${frames.length + 1}`;
    const id = getEditor().edit(addFrame({ title, position: { x: left, y: top }, size: { width: right - left, height: bottom - top } }, scope), 'Add frame');
    if (id) setRenamingFrame(id);
  };

  const frameHandlers: FrameHandlers = {
    onMove(frame, phase, by) {
      if (phase === 'start') {
        const { x, y } = frame.position;
        const { width, height } = frame.size;
        frameMove.current = new Map(
          nodesNow.current
            .filter((n) => {
              const box = nodeBox(n);
              const cx = box.x + box.width / 2;
              const cy = box.y + box.height / 2;
              return cx >= x && cx <= x + width && cy >= y && cy <= y + height;
            })
            .map((n) => [n.id, { ...n.position }]),
        );
        return;
      }
      const inside = frameMove.current;
      setNodes((current) => current.map((n) => {
        const from = inside.get(n.id);
        return from ? { ...n, position: { x: from.x + by.x, y: from.y + by.y } } : n;
      }));
      if (phase === 'end' && (Math.round(by.x) !== 0 || Math.round(by.y) !== 0)) {
        getEditor().edit(moveFrame(frame.id, by, [...inside.keys()], scope), 'Move frame');
      }
    },
    onResize: (frame, size) => void getEditor().edit(updateFrame(frame.id, { size }, scope), 'Resize frame'),
    onRename: (frame, title) => void getEditor().edit(updateFrame(frame.id, { title }, scope), 'Rename frame'),
    onMenu(frame, event) {
      openMenu(event as ReactMouseEvent, [
        { label: 'Rename', run: () => setRenamingFrame(frame.id), testId: 'frame-rename' },
        ...FRAME_COLORS.map((color) => ({ label: `Colour: ${color}`, run: () => void getEditor().edit(updateFrame(frame.id, { color }, scope), 'Recolour frame'), disabled: frame.color === color, testId: `frame-color-${color}` })),
        { label: 'Delete the frame (the nodes stay)', run: () => void getEditor().edit(removeFrame(frame.id, scope), 'Delete frame'), testId: 'frame-delete' },
      ]);
    },
  };

  const onNodeDoubleClick = useCallback((_event: ReactMouseEvent, node: FlowNode) => {
    if (node.data.module) getEditor().openScope(node.data.module.id);
    else if (node.data.expandable) setExpanding(node.id);
  }, []);

  return (
    <div
      className="canvas"
      data-testid="canvas"
      ref={wrapper}
      onPointerMove={(e) => {
        pointer.client = { x: e.clientX, y: e.clientY };
      }}
      onPointerDown={() => setRefusal(null)}
      onDoubleClick={onDoubleClick}
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={nodesLevel === level ? edges : NO_EDGES}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onReconnect={onReconnect}
        onReconnectEnd={onReconnectEnd}
        isValidConnection={isValidConnection}
        onNodeDoubleClick={onNodeDoubleClick}
        onNodeContextMenu={onNodeContextMenu}
        onEdgeContextMenu={onEdgeContextMenu}
        onPaneContextMenu={onPaneContextMenu}
        onPaneClick={() => setQuickAdd(null)}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        zoomOnDoubleClick={false}
        snapToGrid
        snapGrid={[10, 10]}
        minZoom={0.15}
        maxZoom={2}
        connectionRadius={24}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} color="#cfd5de" />
        <Frames frames={frames} renaming={renamingFrame} setRenaming={setRenamingFrame} handlers={frameHandlers} />
        <MiniMap pannable zoomable nodeStrokeWidth={2} nodeColor={minimapColor} maskColor="rgba(240, 242, 246, 0.6)" style={{ width: 168, height: 112 }} />
        <Controls showInteractive={false} />
      </ReactFlow>
      <Breadcrumb />
      <div className="type-legend" aria-label="Port types">
        {(['tensor', 'tokens', 'schedule', 'loss'] as const).map((t) => (
          <span key={t}>
            <i className={`legend-dot type-${t}`} />
            {t}
          </span>
        ))}
      </div>
      {document.nodes.length === 0 && scope === undefined ? (
        <div className="canvas-empty">
          <p>Drag a node from the palette, or double-click the canvas to add one.</p>
          <p className="muted">Open an example from the gallery to start from a working model.</p>
        </div>
      ) : null}
      {refusal ? (
        <div key={refusal.key} className="connection-refusal" data-testid="connection-refusal" role="alert" style={{ left: refusal.x + 14, top: refusal.y + 14 }}>
          {refusal.text}
        </div>
      ) : null}
      {quickAdd ? (
        <QuickAdd
          x={quickAdd.x}
          y={quickAdd.y}
          bounds={{ width: wrapper.current?.clientWidth ?? 800, height: wrapper.current?.clientHeight ?? 600 }}
          onPick={(item) => {
            commands.add(item, quickAdd.client, quickAdd.wire);
            setQuickAdd(null);
          }}
          onClose={() => setQuickAdd(null)}
          {...(wireAccepts ? { accepts: wireAccepts, hint: `Wire to ${quickAdd.wire!.node}.${quickAdd.wire!.port} (${quickAdd.wire!.type})` } : {})}
        />
      ) : null}
      {menu ? <ContextMenu x={menu.x} y={menu.y} bounds={{ width: wrapper.current?.clientWidth ?? 800, height: wrapper.current?.clientHeight ?? 600 }} items={menu.items} onClose={closeMenu} /> : null}
      {expanding ? <ExpandDialog nodeId={expanding} onClose={() => setExpanding(null)} /> : null}
    </div>
  );
}

function minimapColor(node: FlowNode): string {
  if (node.data.severity === 'error') return '#dc2626';
  return CATEGORY_COLORS[node.data.category];
}
