/**
 * The editor's commands, shared by the toolbar, the keyboard, the palette
 * and the inspector. Each document change is one `edit`, so one undo step.
 */
import { useReactFlow } from '@xyflow/react';
import { useMemo } from 'react';
import { own } from '../../core/base/names.ts';
import { addNode, connect, disconnect, expandBlock, makeRoom, groupIntoModule, moveNodes, removeNodes, ungroup } from '../../core/edits/recipes.ts';
import { getNodeDefinition } from '../../core/nodes/registry.ts';
import type { Shape } from '../../core/base/shape.ts';
import { notify } from '../notices.ts';
import { getEditor } from '../store/editor-store.ts';
import { copyFragment, pasteFragment, type Fragment } from './clipboard.ts';
import type { LayoutNode } from './layout.ts';
import { infosOf, levelOf, portForWire, portOfHandle, type FlowEdge, type FlowNode, type LooseWire } from './to-flow.ts';

/** The last copied nodes; kept in memory for this tab. */
let clipboard: Fragment | undefined;

/** Where the pointer last was over the canvas (client coordinates), for pasting and adding there. */
export const pointer: { client: { x: number; y: number } | undefined } = { client: undefined };

export interface AddItem {
  kind: string;
  params?: Record<string, unknown>;
}

/** Roughly half a node: a node added at a point is centred near it. */
const NODE_OFFSET = { x: 100, y: 30 };

function canvasRect(): DOMRect | undefined {
  return document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
}

function uniqueModuleName(names: Set<string>): string {
  for (let i = names.size + 1; ; i++) {
    const name = `Module ${i}`;
    if (!names.has(name)) return name;
  }
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const NEW_NODE = { width: 200, height: 110 };

/** The box a node takes on the canvas (one not measured yet counts as a typical new one). */
export function nodeBox(n: FlowNode): Box {
  return { x: n.position.x, y: n.position.y, width: n.measured?.width ?? NEW_NODE.width, height: n.measured?.height ?? NEW_NODE.height };
}
const GAP = 20;

/** `wanted`, or the nearest spot on rings around it where a new node overlaps none of `taken` (with a gap). */
export function freeSpot(wanted: { x: number; y: number }, taken: readonly Box[]): { x: number; y: number } {
  const clear = (p: { x: number; y: number }) =>
    taken.every((b) => p.x + NEW_NODE.width + GAP <= b.x || b.x + b.width + GAP <= p.x || p.y + NEW_NODE.height + GAP <= b.y || b.y + b.height + GAP <= p.y);
  if (clear(wanted)) return wanted;
  const step = 30;
  for (let ring = 1; ring <= 40; ring++) {
    const candidates: { x: number; y: number }[] = [];
    for (let i = -ring; i <= ring; i++) {
      candidates.push({ x: wanted.x + i * step, y: wanted.y + ring * step }, { x: wanted.x + i * step, y: wanted.y - ring * step });
      candidates.push({ x: wanted.x + ring * step, y: wanted.y + i * step }, { x: wanted.x - ring * step, y: wanted.y + i * step });
    }
    candidates.sort((a, b) => Math.hypot(a.x - wanted.x, a.y - wanted.y) - Math.hypot(b.x - wanted.x, b.y - wanted.y));
    const found = candidates.find(clear);
    if (found) return found;
  }
  return wanted;
}

export function useCanvasCommands() {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  return useMemo(() => {
    const centre = (): { x: number; y: number } => {
      const rect = canvasRect();
      return rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 } : { x: 0, y: 0 };
    };
    const pointerOrCentre = (): { x: number; y: number } => {
      const rect = canvasRect();
      const p = pointer.client;
      if (p && rect && p.x >= rect.left && p.x <= rect.right && p.y >= rect.top && p.y <= rect.bottom) return p;
      return centre();
    };
    const flowPoint = (client: { x: number; y: number }) => rf.screenToFlowPosition(client);

    const commands = {
      undo: () => getEditor().undo(),
      redo: () => getEditor().redo(),

      /**
       * Adds a node at a point on the screen (default: the canvas centre), moved to the nearest free spot so it
       * covers no other node; with a loose wire, connected to it in the same undo step.
       */
      add(item: AddItem, client?: { x: number; y: number }, wire?: LooseWire) {
        const at = flowPoint(client ?? centre());
        const { scope, document } = getEditor();
        const def = getNodeDefinition(item.kind);
        const position = freeSpot({ x: Math.round(at.x - NODE_OFFSET.x), y: Math.round(at.y - NODE_OFFSET.y) }, rf.getNodes().map(nodeBox));
        const port = wire ? portForWire(document, item, wire) : undefined;
        const id = getEditor().edit((draft) => {
          const added = addNode({ kind: item.kind, params: item.params ?? {}, position }, scope)(draft);
          if (wire && port !== undefined) {
            const ends = { ours: { node: added, port }, theirs: { node: wire.node, port: wire.port } };
            connect(wire.side === 'out' ? { source: ends.theirs, target: ends.ours } : { source: ends.ours, target: ends.theirs }, scope)(draft);
          }
          return added;
        }, `Add ${def?.title ?? item.kind}`);
        if (id !== undefined) getEditor().select([id]);
        return id;
      },

      deleteSelection() {
        const { selection, edgeSelection, scope } = getEditor();
        if (selection.length === 0 && edgeSelection.length === 0) return;
        getEditor().edit((doc) => {
          removeNodes(selection, scope)(doc);
          disconnect(edgeSelection, scope)(doc);
        }, selection.length > 0 ? 'Delete' : 'Disconnect');
      },

      copy(): boolean {
        const { document, selection, scope } = getEditor();
        const fragment = copyFragment(document, selection, scope);
        if (!fragment) return false;
        clipboard = fragment;
        return true;
      },

      canPaste: () => clipboard !== undefined,
      paste(client?: { x: number; y: number }) {
        if (!clipboard) return;
        const { scope } = getEditor();
        const at = flowPoint(client ?? pointerOrCentre());
        const ids = getEditor().edit(pasteFragment(clipboard, { x: at.x - NODE_OFFSET.x, y: at.y - NODE_OFFSET.y }, scope), 'Paste');
        if (ids) getEditor().select(ids);
      },

      duplicate() {
        const { document, selection, scope } = getEditor();
        const fragment = copyFragment(document, selection, scope);
        if (!fragment) return;
        const x = Math.min(...fragment.nodes.map((n) => n.position.x)) + 40;
        const y = Math.min(...fragment.nodes.map((n) => n.position.y)) + 40;
        const ids = getEditor().edit(pasteFragment(fragment, { x, y }, scope), 'Duplicate');
        if (ids) getEditor().select(ids);
      },

      selectAll() {
        const { document, scope } = getEditor();
        getEditor().select(levelOf(document, scope).nodes.map((n) => n.id));
      },

      canGroup: () => getEditor().scope === undefined && getEditor().selection.length > 0,
      group() {
        const { document, selection, scope } = getEditor();
        if (scope !== undefined) {
          notify('error', 'Grouping works on the top-level graph; go back to it first.');
          return;
        }
        if (selection.length === 0) return;
        const name = uniqueModuleName(new Set(document.modules.map((m) => m.name)));
        const made = getEditor().edit(groupIntoModule(selection, name), 'Group into module');
        if (made) getEditor().select([made.instanceId]);
      },

      canUngroup: () => {
        const { document, selection, scope } = getEditor();
        return scope === undefined && selection.length === 1 && document.nodes.find((n) => n.id === selection[0])?.kind === 'Module';
      },
      ungroup() {
        const { selection } = getEditor();
        if (!commands.canUngroup()) return;
        const added = getEditor().edit(ungroup(selection[0]!), 'Ungroup');
        if (added) getEditor().select(added);
      },

      /** Replaces a block with its primitives, fed with the block's inferred input shapes. */
      expand(nodeId: string) {
        const { document, analysis, scope } = getEditor();
        const node = levelOf(document, scope).nodes.find((n) => n.id === nodeId);
        if (!node) return;
        const inputs: Record<string, Shape> = {};
        for (const [port, value] of Object.entries(infosOf(analysis, scope)?.get(nodeId)?.inputs ?? {})) inputs[port] = value.shape;
        // The primitives take the block's place, and the nodes after it in its rows move aside for them.
        const added = getEditor().edit((draft) => {
          const ids = expandBlock(nodeId, inputs, scope)(draft);
          makeRoom(ids, node.position, scope)(draft);
          return ids;
        }, `Expand ${getNodeDefinition(node.kind)?.title ?? node.kind}`);
        if (added) getEditor().select(added);
      },

      /** Opens a module instance's body, or offers a block's primitives (handled by the caller). */
      openModule(moduleId: string) {
        getEditor().openScope(moduleId);
      },

      fit() {
        void rf.fitView({ padding: 0.15, maxZoom: 1.25, duration: 250 });
      },

      /** Lays out the level shown, left to right, as one undo step. */
      async layout() {
        const { document, scope } = getEditor();
        const level = levelOf(document, scope);
        if (level.nodes.length === 0) return;
        const nodes: LayoutNode[] = level.nodes.map((n) => {
          const internal = rf.getInternalNode(n.id);
          const width = internal?.measured.width ?? 200;
          const height = internal?.measured.height ?? 100;
          const bounds = internal?.internals.handleBounds;
          const ports = (list: readonly { id?: string | null; y: number; height: number }[] | null | undefined) =>
            (list ?? []).flatMap((h) => {
              const name = portOfHandle(h.id);
              return name === undefined ? [] : [{ name, y: h.y + h.height / 2 }];
            });
          return { id: n.id, width, height, inputs: ports(bounds?.target), outputs: ports(bounds?.source) };
        });
        const edges = level.edges.map((e) => ({ id: e.id, source: e.source.node, sourcePort: e.source.port, target: e.target.node, targetPort: e.target.port }));
        try {
          const { layoutGraph } = await import('./layout.ts');
          const rect = canvasRect();
          const positions = await layoutGraph(nodes, edges, rect ? { width: rect.width, height: rect.height } : undefined);
          // The graph may have changed while ELK ran; only move nodes that still exist.
          if (getEditor().document !== document) return;
          getEditor().edit(moveNodes(positions, scope), 'Auto-layout');
          // Fit the new bounds, known here, rather than wait for the canvas to catch up.
          const boxes = nodes.map((n) => ({ ...(own(positions, n.id) ?? { x: 0, y: 0 }), width: n.width, height: n.height }));
          const x = Math.min(...boxes.map((b) => b.x));
          const y = Math.min(...boxes.map((b) => b.y));
          const width = Math.max(...boxes.map((b) => b.x + b.width)) - x;
          const height = Math.max(...boxes.map((b) => b.y + b.height)) - y;
          void rf.fitBounds({ x, y, width, height }, { padding: 0.15, duration: 250 });
        } catch (error) {
          notify('error', `Layout failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    };
    return commands;
  }, [rf]);
}

export type CanvasCommands = ReturnType<typeof useCanvasCommands>;
