/**
 * The editor's state: the document, its analysis, the selection, and the
 * undo history. Every change of the document goes through `edit` (a core
 * recipe applied with patches) or `replaceDocument`, so undo covers all.
 */
import { applyPatches, enablePatches, produceWithPatches, type Patch } from 'immer';
import { create } from 'zustand';
import { immer } from 'zustand/middleware/immer';
import { emptyDocument, type GraphDocument } from '../../core/graph/schema.ts';
import { analyze, type Analysis } from '../../core/shapes/analyze.ts';
import { notify } from '../notices.ts';
import { analysisOptions, useSettings } from './app-settings.ts';

enablePatches();

/** Undo steps kept; older ones are dropped. */
const HISTORY_LIMIT = 200;

export interface HistoryEntry {
  label: string;
  patches: Patch[];
  inverse: Patch[];
  /** Consecutive edits with the same group merge into one step (typing in a field). */
  group?: string;
}

export interface EditOptions {
  group?: string;
}

export interface EditorState {
  document: GraphDocument;
  analysis: Analysis;
  /** Selected node ids, in the level shown on the canvas. */
  selection: string[];
  /** Selected edge ids, in the same level. */
  edgeSelection: string[];
  /** The module whose body the canvas shows; undefined for the top-level graph. */
  scope: string | undefined;
  past: HistoryEntry[];
  future: HistoryEntry[];
  /** Bumped by replaceDocument, so views can fit the new graph. */
  generation: number;
  /** A request to centre the canvas on a node; the nonce makes repeats count. */
  focus: { node: string; scope: string | undefined; nonce: number } | null;

  /** Applies a recipe as one undoable step; returns its result, or undefined when it was refused. */
  edit<R>(recipe: (doc: GraphDocument) => R, label?: string, options?: EditOptions): R | undefined;
  undo(): void;
  redo(): void;
  replaceDocument(doc: GraphDocument, options?: { keepHistory?: boolean }): void;
  select(ids: string[]): void;
  selectEdges(ids: string[]): void;
  /** Shows a module's body on the canvas (undefined: the top-level graph). */
  openScope(moduleId: string | undefined): void;
  /** Opens the node's level, selects it and asks the canvas to centre on it. */
  focusNode(nodeId: string, moduleId?: string): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown> | undefined)?.[key];
  return value;
}

/** Recipes often reassign arrays (filter, map) without changing them; such an edit is no step. */
function changesNothing(before: GraphDocument, after: GraphDocument, patches: readonly Patch[]): boolean {
  return patches.every((p) => JSON.stringify(valueAt(before, p.path)) === JSON.stringify(valueAt(after, p.path)));
}

function scopeExists(doc: GraphDocument, scope: string | undefined): boolean {
  return scope === undefined || doc.modules.some((m) => m.id === scope);
}

function levelOf(doc: GraphDocument, scope: string | undefined) {
  return scope === undefined ? doc : (doc.modules.find((m) => m.id === scope) ?? { nodes: [], edges: [] });
}

/** Ids still present, or the same array when all are. */
function keep(ids: string[], present: Set<string>): string[] {
  const kept = ids.filter((id) => present.has(id));
  return kept.length === ids.length ? ids : kept;
}

/** Scope and selection that still make sense in a changed document. */
function settle(doc: GraphDocument, state: Pick<EditorState, 'scope' | 'selection' | 'edgeSelection'>) {
  const scope = scopeExists(doc, state.scope) ? state.scope : undefined;
  if (scope !== state.scope) return { scope, selection: [], edgeSelection: [] };
  const level = levelOf(doc, scope);
  return {
    scope,
    selection: keep(state.selection, new Set(level.nodes.map((n) => n.id))),
    edgeSelection: keep(state.edgeSelection, new Set(level.edges.map((e) => e.id))),
  };
}

const initial = emptyDocument();

/**
 * Asked before a change to the model (not a node merely moved) while
 * something depends on the graph staying as it is (a training run); it
 * returns false to refuse the change, which then leaves everything as it was.
 */
export type EditGuard = (label: string) => boolean;
let editGuard: EditGuard | undefined;

export function setEditGuard(guard: EditGuard | undefined): void {
  editGuard = guard;
}

/** Patches that only move nodes on the canvas: they change nothing that trains. */
export function onlyMovesNodes(patches: readonly Patch[]): boolean {
  return patches.every((p) => p.path.includes('position'));
}

function allowed(label: string, patches?: readonly Patch[]): boolean {
  if (!editGuard || (patches && onlyMovesNodes(patches))) return true;
  return editGuard(label);
}

export const useEditor = create<EditorState>()(
  immer((set, get) => ({
    document: initial,
    analysis: analyze(initial, analysisOptions()),
    selection: [],
    edgeSelection: [],
    scope: undefined,
    past: [],
    future: [],
    generation: 0,
    focus: null,

    edit<R>(recipe: (doc: GraphDocument) => R, label = 'Edit', options: EditOptions = {}): R | undefined {
      const state = get();
      let result: R | undefined;
      let next: GraphDocument;
      let patches: Patch[];
      let inverse: Patch[];
      let analysis: Analysis;
      try {
        [next, patches, inverse] = produceWithPatches(state.document, (draft) => {
          result = recipe(draft as GraphDocument);
        });
        if (patches.length === 0 || changesNothing(state.document, next, patches)) return result;
        if (!allowed(label, patches)) return undefined;
        analysis = analyze(next, analysisOptions());
      } catch (error) {
        // A refused edit leaves the document as it was.
        notify('error', messageOf(error));
        return undefined;
      }
      const top = state.past.at(-1);
      const past =
        options.group !== undefined && top?.group === options.group
          ? [...state.past.slice(0, -1), { ...top, patches: [...top.patches, ...patches], inverse: [...inverse, ...top.inverse] }]
          : [...state.past, { label, patches, inverse, ...(options.group !== undefined ? { group: options.group } : {}) }].slice(-HISTORY_LIMIT);
      set({ document: next, analysis, past, future: [], ...settle(next, state) });
      return result;
    },

    undo() {
      const state = get();
      const entry = state.past.at(-1);
      if (!entry || !allowed(`Undo ${entry.label.toLowerCase()}`, entry.inverse)) return;
      const document = applyPatches(state.document, entry.inverse);
      set({
        document,
        analysis: analyze(document, analysisOptions()),
        past: state.past.slice(0, -1),
        future: [...state.future, { label: entry.label, patches: entry.patches, inverse: entry.inverse }],
        ...settle(document, state),
      });
    },

    redo() {
      const state = get();
      const entry = state.future.at(-1);
      if (!entry || !allowed(`Redo ${entry.label.toLowerCase()}`, entry.patches)) return;
      const document = applyPatches(state.document, entry.patches);
      set({
        document,
        analysis: analyze(document, analysisOptions()),
        past: [...state.past, entry],
        future: state.future.slice(0, -1),
        ...settle(document, state),
      });
    },

    replaceDocument(doc, options = {}) {
      const state = get();
      if (doc !== state.document && !allowed(`Open “${doc.meta.name}”`)) return;
      const analysis = analyze(doc, analysisOptions());
      if (options.keepHistory) {
        const [next, patches, inverse] = produceWithPatches(state.document, () => doc);
        set({
          document: next,
          analysis,
          past: [...state.past, { label: 'Replace the graph', patches, inverse }].slice(-HISTORY_LIMIT),
          future: [],
          generation: state.generation + 1,
          ...settle(next, { ...state, selection: [], edgeSelection: [] }),
        });
        return;
      }
      set({ document: doc, analysis, past: [], future: [], selection: [], edgeSelection: [], scope: undefined, focus: null, generation: state.generation + 1 });
    },

    select(ids) {
      const current = get().selection;
      if (ids.length === current.length && ids.every((id, i) => id === current[i])) return;
      set({ selection: [...ids] });
    },

    selectEdges(ids) {
      const current = get().edgeSelection;
      if (ids.length === current.length && ids.every((id, i) => id === current[i])) return;
      set({ edgeSelection: [...ids] });
    },

    openScope(moduleId) {
      const state = get();
      if (moduleId === state.scope || !scopeExists(state.document, moduleId)) return;
      set({ scope: moduleId, selection: [], edgeSelection: [] });
    },

    focusNode(nodeId, moduleId) {
      const state = get();
      const scope = scopeExists(state.document, moduleId) ? moduleId : undefined;
      set({ scope, selection: [nodeId], edgeSelection: [], focus: { node: nodeId, scope, nonce: (state.focus?.nonce ?? 0) + 1 } });
    },
  })),
);

export const getEditor = (): EditorState => useEditor.getState();

// A new memory limit changes what the document may ask for: analyse it again (not an edit, so no undo step).
useSettings.subscribe((settings, previous) => {
  if (settings.memoryLimitMB === previous.memoryLimitMB) return;
  useEditor.setState({ analysis: analyze(getEditor().document, analysisOptions()) });
});
