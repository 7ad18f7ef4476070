/**
 * The messages between the UI and the training worker. Commands (UI →
 * worker) are checked with zod on arrival, since a worker must not trust
 * what it is sent; events (worker → UI) are a typed union the worker builds.
 * Pixel data travels as transferable buffers, never copied.
 */
import { z } from 'zod';
import { MEMORY_BUDGET_RANGE } from '../core/graph/schema.ts';
import type { Diagnostic } from '../core/base/diagnostics.ts';
import type { ConditionChoice } from '../core/nodes/sampler-condition.ts';
import type { TrainingState } from '../core/train/state.ts';

/** The browser backends, in the order they are tried. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];
/** Which backend a run asks for: `auto` tries them in order, a name runs on that one only. */
export const BACKEND_CHOICES = ['auto', ...BROWSER_BACKENDS] as const;
export type BackendChoiceSetting = (typeof BACKEND_CHOICES)[number];

export const zTrainingSettings = z.strictObject({
  /** Train until the session has taken this many steps. */
  totalSteps: z.number().int().min(1).max(1e8),
  /** Overrides the document's batch size (small batches for quick looks and tests). */
  batchSize: z.number().int().min(1).max(8192).optional(),
  /** Read losses back (one device round trip) every this many steps. */
  logEvery: z.number().int().min(1).max(100_000).default(10),
  /** Previews are redrawn at most this often, in seconds of training... */
  previewSeconds: z.number().min(0).max(3600).default(5),
  /** ...and at least every this many steps (0: only by time, at pause and at the end). */
  previewSteps: z.number().int().min(0).max(1e8).default(0),
  /** Images (or points / texts) a preview draws. */
  previewCount: z.number().int().min(1).max(1024).default(36),
  /** Saved to IndexedDB every this many steps, and at pause, stop and the end. */
  checkpointEvery: z.number().int().min(1).max(1e8).default(250),
  /** Held-out losses every this many steps (0: never). */
  evalEvery: z.number().int().min(0).max(1e8).default(500),
  /** Held-out examples per evaluation. */
  evalExamples: z.number().int().min(1).max(100_000).default(512),
  /** `auto`: WebGPU, then WebGL, then WASM; a backend's name: that one or an error saying why it cannot run. */
  backend: z.enum(BACKEND_CHOICES).default('auto'),
  /**
   * `auto` takes a GPU backend on a software renderer too (SwiftShader,
   * llvmpipe). Off by default: WASM trains several times faster there, so
   * `auto` passes such a renderer by (the badge says why).
   */
  softwareGpu: z.boolean().default(false),
  /** The app's memory limit: the document's budget is capped by it (GC208); the default limit when absent. */
  memoryLimitMB: z.number().int().min(MEMORY_BUDGET_RANGE.min).max(MEMORY_BUDGET_RANGE.max).optional(),
});
export type TrainingSettings = z.output<typeof zTrainingSettings>;
export type TrainingSettingsInput = z.input<typeof zTrainingSettings>;

/** A run's settings with defaults filled in; throws on values out of range. */
export function trainingSettings(input: TrainingSettingsInput): TrainingSettings {
  return zTrainingSettings.parse(input);
}

const zDocumentText = z.string().min(2).max(20_000_000);

/**
 * The labels a conditioned sampler's preview is drawn with (core's
 * ConditionChoice). Whether a label is a class of that sampler is checked by
 * the worker against the graph, which the schema cannot see.
 */
export const zConditionChoice = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('each-class') }),
  z.strictObject({ kind: z.literal('values'), values: z.array(z.int().min(0).max(1 << 20)).min(1).max(4096) }),
  z.strictObject({ kind: z.literal('held-out') }),
]);

export const zWorkerCommand = z.discriminatedUnion('type', [
  /** Build the graph and train it; with `resume`, continue from the stored checkpoint if there is one. */
  z.strictObject({ type: z.literal('start'), documentText: zDocumentText, settings: zTrainingSettings, resume: z.boolean() }),
  z.strictObject({ type: z.literal('pause') }),
  z.strictObject({ type: z.literal('resume') }),
  z.strictObject({ type: z.literal('stop') }),
  /** Text samplers: draw new samples at this temperature (while training or after it). */
  z.strictObject({ type: z.literal('sample'), temperature: z.number().min(0.05).max(5) }),
  /** Conditioned samplers: redraw this sampler's grid (and trajectory) with these labels, and keep them for the run's later previews. */
  z.strictObject({ type: z.literal('condition'), sampler: z.string().min(1).max(256), choice: zConditionChoice }),
  /** Send the current weights as a 'weights' event (to download them). */
  z.strictObject({ type: z.literal('requestCheckpoint') }),
  /** Load weights (a TF.js artifact pair) into the graph, store them as its checkpoint and show previews. */
  z.strictObject({
    type: z.literal('loadWeights'),
    documentText: zDocumentText,
    settings: zTrainingSettings,
    manifest: z.unknown(),
    weights: z.instanceof(ArrayBuffer),
  }),
  /** Testing the fallback: destroys the WebGPU device as if the GPU were lost. */
  z.strictObject({ type: z.literal('loseDevice') }),
  /**
   * The weights an export of the graph on screen writes (Share ▸ Export): the run's when it trains
   * that model (its checkpoint key is one of `keys`), else the checkpoint stored under the first of
   * `keys` that has one. Answered by an 'exportWeights' event with the same `request`.
   */
  z.strictObject({ type: z.literal('exportWeights'), request: z.int().min(0).max(2 ** 31), keys: z.array(z.string().min(1).max(256)).min(1).max(4) }),
]);
export type WorkerCommand = z.input<typeof zWorkerCommand>;
export type ParsedWorkerCommand = z.output<typeof zWorkerCommand>;

export type ParsedCommand = { ok: true; command: ParsedWorkerCommand } | { ok: false; error: string };

export function parseWorkerCommand(value: unknown): ParsedCommand {
  const parsed = zWorkerCommand.safeParse(value);
  if (parsed.success) return { ok: true, command: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `bad command to the training worker: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'}` };
}

/** A picture the worker drew: RGBA pixels, row-major, ready for ImageData. */
export interface ImagePreview {
  kind: 'image';
  /** Stable per preview slot, e.g. `grid:sampler` or `trajectory:ddim`. */
  id: string;
  title: string;
  /** What the picture shows or how it was made short (shown under it). */
  note?: string;
  width: number;
  height: number;
  pixels: Uint8ClampedArray;
  /** A conditioned sampler's grid: the labels it was drawn with, and what the class picker offers. */
  condition?: PreviewCondition;
}

export interface PreviewCondition {
  sampler: string;
  /** Classes of the condition (ids 0..classes−1), when the graph says. */
  classes?: number;
  /** The label meaning "no class" (a model trained with condition dropout). */
  nullLabel?: number;
  /** The choice this grid was drawn with. */
  choice: ConditionChoice;
  /** The class of each tile, in reading order. */
  labels: number[];
}

export interface TextPreview {
  kind: 'text';
  id: string;
  title: string;
  texts: string[];
  temperature: number;
}

export type Preview = ImagePreview | TextPreview;

export interface ObjectiveLosses {
  total: number;
  losses: Record<string, number>;
  /** Numbers to watch on the objective's path, by `op.port` (a quantizer's code perplexity): charted apart from the losses. */
  metrics?: Record<string, number>;
}

export type WorkerEvent =
  /**
   * The backend that runs, its adapter (WebGPU), why earlier ones in the order were not used, and
   * for WASM the threads it runs on and why fewer than the machine's cores (the page not cross-origin isolated).
   */
  | { type: 'backend'; backend: BrowserBackend; adapter?: string; fallbackReason?: string; threads?: number; threadsLimit?: string }
  | { type: 'state'; state: TrainingState }
  | { type: 'losses'; step: number; objectives: Record<string, ObjectiveLosses>; stepsPerSecond: number; elapsedSeconds: number }
  /** Held-out losses per objective. */
  | { type: 'eval'; step: number; metrics: Record<string, number> }
  | { type: 'previews'; step: number; previews: Preview[] }
  /**
   * A GAN at preview time: the discriminator's mean output on held-out real and on generated examples,
   * as probabilities σ(logit) for the non-saturating loss, as raw outputs for the others (least-squares: 'target', pulled
   * to 1 and 0; hinge and wasserstein: 'score', with no fixed scale), and their gap real − fake.
   */
  | { type: 'discriminator'; step: number; real: number; fake: number; scale: 'probability' | 'target' | 'score'; gap: number }
  | { type: 'checkpoint'; step: number; savedAt: string }
  | { type: 'weights'; step: number; manifest: unknown; weights: ArrayBuffer }
  /**
   * The answer to an 'exportWeights' command: the checkpoint whose weights the export writes
   * (from the run in the worker or from storage), none when the model has not been trained or
   * loaded in this browser, or why they could not be read.
   */
  | { type: 'exportWeights'; request: number; checkpoint?: ExportCheckpoint; error?: string }
  /** Something the person should know that is not an error (a fallback after a lost device). */
  | { type: 'notice'; text: string }
  /** A failure: its message, and the diagnostic and nodes when it belongs to the graph. */
  | { type: 'error'; message: string; diagnostic?: Diagnostic; nodes?: string[] };

/** Weights for an export, in the checkpoint layout (model.json's manifest and weights.bin). */
export interface ExportCheckpoint {
  step: number;
  manifest: unknown;
  weights: ArrayBuffer;
  /** The run in the worker, or the checkpoint stored in the browser. */
  source: 'run' | 'stored';
}

/** The buffers of an event to transfer rather than copy. */
export function transferablesOf(event: WorkerEvent): Transferable[] {
  if (event.type === 'weights') return [event.weights];
  if (event.type === 'exportWeights') return event.checkpoint ? [event.checkpoint.weights] : [];
  if (event.type === 'previews') return event.previews.flatMap((p) => (p.kind === 'image' ? [p.pixels.buffer as ArrayBuffer] : []));
  return [];
}
