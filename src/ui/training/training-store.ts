/**
 * The training run as the UI sees it: the state union of core/train/state.ts
 * plus what the worker reported (backend, chart series, previews, the last
 * checkpoint, an error) and the panel's settings. It changes only through
 * `dispatchTraining`, whose actions the pure `reduceTraining` applies (the
 * worker's events through `reduceTrainingEvent`), so the UI's view of a run
 * is tested without a browser. Separate from the editor store: training
 * never edits the graph.
 */
import { create } from 'zustand';
import type { TrainingState } from '../../core/train/state.ts';
import type { CheckpointInfo } from '../../storage/checkpoints.ts';
import type { ConditionChoice } from '../../core/nodes/sampler-condition.ts';
import { conditionKey } from '../../worker/preview-plan.ts';
import type { BackendChoiceSetting, BrowserBackend, Preview, WorkerEvent } from '../../worker/protocol.ts';
import { smoothSpeed } from './progress.ts';
import { appendPoint, emptySeries, lossPoint, type Series } from './series.ts';

export interface TrainingView {
  state: TrainingState;
  backend?: { backend: BrowserBackend; adapter?: string; fallbackReason?: string; threads?: number; threadsLimit?: string };
  /** Smoothed steps per second, for the ETA. */
  speed: number;
  elapsedSeconds: number;
  losses: Series;
  evals: Series;
  /** Numbers watched while training that are not losses (a quantizer's code perplexity). */
  watched: Series;
  /** A GAN's D(real) and D(fake), one point per round of previews. */
  discriminator: Series;
  /** The latest preview of each slot, in the order they first came. */
  previews: Preview[];
  previewStep: number | undefined;
  /**
   * Labels chosen in a class picker that no grid shows yet, by sampler: the
   * picker shows them until the worker's redraw arrives (or it refuses them).
   */
  requestedConditions: Readonly<Record<string, ConditionChoice>>;
  /** The checkpoint stored for the graph on screen (read at start, updated as the run saves). */
  stored: CheckpointInfo | undefined;
  error: { message: string; code?: string; nodes: string[] } | undefined;
  notice: string | undefined;
  /** Stop was pressed and the run has not stopped yet (the worker ends it after the step it is in). */
  stopping: boolean;
}

export const initialTrainingView: TrainingView = {
  state: { status: 'idle' },
  speed: 0,
  elapsedSeconds: 0,
  losses: emptySeries,
  evals: emptySeries,
  watched: emptySeries,
  discriminator: emptySeries,
  previews: [],
  previewStep: undefined,
  requestedConditions: {},
  stored: undefined,
  error: undefined,
  notice: undefined,
  stopping: false,
};

/** Whether a run holds the worker (training or paused): the graph must not change under it. */
export function isActive(state: TrainingState): state is Extract<TrainingState, { status: 'running' | 'paused' }> {
  return state.status === 'running' || state.status === 'paused';
}

function mergePreviews(current: readonly Preview[], incoming: readonly Preview[]): Preview[] {
  const next = [...current];
  for (const preview of incoming) {
    const i = next.findIndex((p) => p.id === preview.id);
    if (i >= 0) next[i] = preview;
    else next.push(preview);
  }
  return next;
}

/** Requests that `previews` settle: a grid of that sampler drawn with the labels asked for. */
function unsettledRequests(requested: TrainingView['requestedConditions'], previews: readonly Preview[]): TrainingView['requestedConditions'] {
  const drawn = new Map(previews.flatMap((p) => (p.kind === 'image' && p.condition ? [[p.condition.sampler, conditionKey(p.condition.choice)] as const] : [])));
  const entries = Object.entries(requested);
  const left = entries.filter(([sampler, choice]) => drawn.get(sampler) !== conditionKey(choice));
  return left.length === entries.length ? requested : Object.fromEntries(left);
}

/** The names of the discriminator's lines in the balance chart. */
export const D_REAL = 'D(real)';
export const D_FAKE = 'D(fake)';
/** Scores with no fixed scale (hinge, Wasserstein): the gap is what reads, a Wasserstein critic's distance estimate. */
export const D_GAP = 'D(real) − D(fake)';

export function reduceTrainingEvent(view: TrainingView, event: WorkerEvent, graphName = ''): TrainingView {
  switch (event.type) {
    case 'backend': {
      const { type: _type, ...backend } = event;
      return { ...view, backend };
    }
    case 'state': {
      // A new run (not a resume after a pause) clears the last run's error.
      const starting = event.state.status === 'running' && !isActive(view.state);
      return { ...view, state: event.state, stopping: view.stopping && isActive(event.state), ...(starting ? { error: undefined, notice: undefined } : {}) };
    }
    case 'losses': {
      const state = view.state.status === 'running' ? { ...view.state, step: event.step, stepsPerSecond: event.stepsPerSecond } : view.state;
      return {
        ...view,
        state,
        speed: smoothSpeed(view.speed, event.stepsPerSecond),
        elapsedSeconds: event.elapsedSeconds,
        losses: appendPoint(view.losses, event.step, lossPoint(event.objectives)),
        ...(Object.values(event.objectives).some((o) => o.metrics) ? { watched: appendPoint(view.watched, event.step, Object.assign({}, ...Object.values(event.objectives).map((o) => o.metrics ?? {}))) } : {}),
      };
    }
    case 'eval':
      return { ...view, evals: appendPoint(view.evals, event.step, Object.fromEntries(Object.entries(event.metrics).map(([id, v]) => [`${id} (held-out)`, v]))) };
    case 'discriminator':
      return {
        ...view,
        discriminator: appendPoint(view.discriminator, event.step, { [D_REAL]: event.real, [D_FAKE]: event.fake, ...(event.scale === 'score' ? { [D_GAP]: event.gap } : {}) }),
      };
    case 'previews':
      return { ...view, previews: mergePreviews(view.previews, event.previews), previewStep: event.step, requestedConditions: unsettledRequests(view.requestedConditions, event.previews) };
    case 'checkpoint':
      return { ...view, stored: { step: event.step, savedAt: event.savedAt, graph: graphName, ...(view.backend ? { backend: view.backend.backend } : {}) } };
    case 'notice':
      return { ...view, notice: event.text };
    case 'error':
      // A refused choice of labels: the pickers show again what their grids were drawn with.
      return { ...view, requestedConditions: {}, error: { message: event.message, nodes: event.nodes ?? [], ...(event.diagnostic ? { code: event.diagnostic.code } : {}) } };
    case 'weights':
    case 'exportWeights':
      return view;
  }
}

/** A fresh run's charts and previews (the backend and the stored checkpoint stay). */
export function clearRun(view: TrainingView): TrainingView {
  return { ...initialTrainingView, backend: view.backend, stored: view.stored, state: { status: 'idle' } };
}

export interface TrainingStore extends TrainingView {
  panelOpen: boolean;
  /** Steps to train to, as set in the panel (undefined: the graph's own setting). */
  totalSteps: number | undefined;
  temperature: number | undefined;
  /** The backend the next run asks for, as set in the panel. */
  backendChoice: BackendChoiceSetting;
}

export const initialTrainingStore: TrainingStore = { ...initialTrainingView, panelOpen: false, totalSteps: undefined, temperature: undefined, backendChoice: 'auto' };

/** Every change of the store: the worker's events, and what the page and the panel do. */
export type TrainingAction =
  | { type: 'worker'; event: WorkerEvent; graphName: string }
  /** Train was pressed: shown as running at once (the graph is guarded, Train cannot be pressed twice) until the worker's first state. */
  | { type: 'starting'; step: number; totalSteps: number }
  | { type: 'weightsLoading' }
  | { type: 'weightsRefused'; message: string }
  /** The worker itself failed: a run it held is stopped. */
  | { type: 'workerFailed'; message: string }
  /** The checkpoint stored for the graph on screen, as read from storage. */
  | { type: 'storedFound'; info: CheckpointInfo | undefined }
  /** Another graph was opened. */
  | { type: 'graphOpened' }
  | { type: 'panel'; open: boolean }
  | { type: 'totalSteps'; totalSteps: number | undefined }
  | { type: 'backendChoice'; choice: BackendChoiceSetting }
  | { type: 'temperature'; temperature: number }
  /** Labels chosen in a conditioned sampler's class picker (sent to the worker, which redraws that grid). */
  | { type: 'condition'; sampler: string; choice: ConditionChoice }
  /** Stop was pressed: shown as stopping at once, until the worker says the run stopped. */
  | { type: 'stopping' };

export function reduceTraining(store: TrainingStore, action: TrainingAction): TrainingStore {
  switch (action.type) {
    case 'worker': {
      const next = { ...store, ...reduceTrainingEvent(store, action.event, action.graphName) };
      return action.event.type === 'error' ? { ...next, panelOpen: true } : next;
    }
    case 'starting':
      return { ...store, ...clearRun(store), panelOpen: true, state: { status: 'running', step: action.step, totalSteps: action.totalSteps, stepsPerSecond: 0 } };
    case 'weightsLoading':
      return { ...store, ...clearRun(store), panelOpen: true };
    case 'weightsRefused':
      return { ...store, error: { message: action.message, nodes: [] }, panelOpen: true };
    case 'workerFailed': {
      const { state } = store;
      return { ...store, error: { message: action.message, nodes: [] }, stopping: false, state: isActive(state) ? { status: 'stopped', step: state.step, totalSteps: state.totalSteps } : state };
    }
    // A run's own checkpoints and graph are the ones that count while it holds the worker.
    case 'storedFound':
      return isActive(store.state) ? store : { ...store, stored: action.info };
    case 'graphOpened':
      return isActive(store.state) ? store : { ...store, ...clearRun(store) };
    case 'panel':
      return { ...store, panelOpen: action.open };
    case 'totalSteps':
      return { ...store, totalSteps: action.totalSteps };
    case 'backendChoice':
      return { ...store, backendChoice: action.choice };
    case 'temperature':
      return { ...store, temperature: action.temperature };
    case 'condition':
      return { ...store, requestedConditions: { ...store.requestedConditions, [action.sampler]: action.choice } };
    case 'stopping':
      return isActive(store.state) ? { ...store, stopping: true } : store;
  }
}

export const useTraining = create<TrainingStore>()(() => initialTrainingStore);

/** The one way the store changes. */
export function dispatchTraining(action: TrainingAction): void {
  useTraining.setState((s) => reduceTraining(s, action));
}

export const getTraining = (): TrainingStore => useTraining.getState();
