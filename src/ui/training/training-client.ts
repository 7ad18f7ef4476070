/**
 * The page's side of training: owns the worker, sends it commands, feeds
 * its events into the training store, keeps "Resume from step N" in step
 * with the graph on screen, and guards the graph while a run holds it.
 */
import { saveDocument } from '../../core/graph/save.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { ConditionChoice } from '../../core/nodes/sampler-condition.ts';
import { parseManifest, WEIGHTS_MAX_BYTES } from '../../core/train/checkpoint.ts';
import { checkpointKeys, indexedDbCheckpoints, storedCheckpoint, type CheckpointStore } from '../../storage/checkpoints.ts';
import { trainingSettings, type ExportCheckpoint, type TrainingSettings, type TrainingSettingsInput, type WorkerCommand, type WorkerEvent } from '../../worker/protocol.ts';
import { notify } from '../notices.ts';
import { downloadBlob, fileStem } from '../sharing/downloads.ts';
import { useSettings } from '../store/app-settings.ts';
import { getEditor, setEditGuard, useEditor } from '../store/editor-store.ts';
import { dispatchTraining, getTraining, isActive } from './training-store.ts';
import { checkpointFromSafetensors, checkWeightsFit, looksLikeSafetensors, weightsFiles } from './weights-files.ts';

let worker: Worker | undefined;
let store: CheckpointStore | undefined;
/** Settings a test (or a person in the console) sets over the defaults. */
let overrides: Partial<TrainingSettingsInput> = {};

const checkpoints = () => (store ??= indexedDbCheckpoints());

type ExportAnswer = Extract<WorkerEvent, { type: 'exportWeights' }>;
/** Export requests waiting for the worker's answer, by request number. */
const pendingExports = new Map<number, { answer: (event: ExportAnswer) => void; fail: (error: Error) => void }>();
let nextExportRequest = 1;

function receive(event: WorkerEvent): void {
  if (event.type === 'exportWeights') {
    pendingExports.get(event.request)?.answer(event);
    return;
  }
  const graphName = getEditor().document.meta.name;
  dispatchTraining({ type: 'worker', event, graphName });
  if (event.type === 'weights') saveWeightsFiles(event.manifest, event.weights);
  if (event.type === 'notice') notify('info', event.text);
  if (event.type === 'error') notify('error', event.message);
}

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../../worker/training-worker.ts', import.meta.url), { type: 'module', name: 'training' });
  worker.onmessage = (e: MessageEvent<WorkerEvent>) => receive(e.data);
  worker.onerror = (e) => {
    // The worker itself failed (a script error): nothing it held can be trusted, start a new one next time.
    e.preventDefault();
    worker?.terminate();
    worker = undefined;
    for (const waiting of [...pendingExports.values()]) waiting.fail(new Error(`the training worker failed: ${e.message || 'unknown error'}`));
    dispatchTraining({ type: 'workerFailed', message: `the training worker failed: ${e.message || 'unknown error'}` });
  };
  return worker;
}

function send(command: WorkerCommand, transfer: Transferable[] = []): void {
  ensureWorker().postMessage(command, transfer);
}

/** The settings of the next run: the graph's steps (or the panel's), the panel's backend, the defaults, and any overrides. */
export function runSettings(document: GraphDocument): TrainingSettings {
  const { totalSteps, backendChoice } = getTraining();
  const memoryLimitMB = useSettings.getState().memoryLimitMB;
  // ?software-gpu in the page's address lets Auto train on a software GPU (SwiftShader, llvmpipe), e.g. to try WebGPU without one.
  const softwareGpu = typeof location !== 'undefined' && new URLSearchParams(location.search).has('software-gpu');
  return trainingSettings({ totalSteps: totalSteps ?? document.training.steps, backend: backendChoice, memoryLimitMB, softwareGpu, ...overrides });
}

export function setTrainingOverrides(next: Partial<TrainingSettingsInput>): void {
  overrides = { ...next };
}

export function startTraining(options: { resume: boolean }): void {
  if (isActive(getTraining().state)) return;
  const document = getEditor().document;
  if (getEditor().analysis.diagnostics.some((d) => d.severity === 'error')) {
    notify('error', 'Fix the problems in the graph before training (see the problems panel).');
    return;
  }
  let settings: TrainingSettings;
  try {
    settings = runSettings(document);
  } catch (error) {
    notify('error', `Training settings are out of range: ${(error as Error).message}`);
    return;
  }
  // The worker's first state (or 'idle' if the graph cannot start) replaces this one.
  const step = options.resume ? (getTraining().stored?.step ?? 0) : 0;
  dispatchTraining({ type: 'starting', step, totalSteps: settings.totalSteps });
  send({ type: 'start', documentText: saveDocument(document), settings, resume: options.resume });
}

export const pauseTraining = () => send({ type: 'pause' });
export const resumeTraining = () => send({ type: 'resume' });
export function stopTraining(): void {
  dispatchTraining({ type: 'stopping' });
  send({ type: 'stop' });
}
export const requestWeights = () => send({ type: 'requestCheckpoint' });
/** Testing the fallback: loses the WebGPU device as a crash would. */
export const loseDevice = () => send({ type: 'loseDevice' });

export function sampleAt(temperature: number): void {
  dispatchTraining({ type: 'temperature', temperature });
  send({ type: 'sample', temperature });
}

/** Redraws a conditioned sampler's grid with these labels (and keeps them for its later previews). */
export function sampleWithCondition(sampler: string, choice: ConditionChoice): void {
  dispatchTraining({ type: 'condition', sampler, choice });
  send({ type: 'condition', sampler, choice: choice.kind === 'values' ? { kind: 'values', values: [...choice.values] } : choice });
}

function saveWeightsFiles(manifest: unknown, weights: ArrayBuffer): void {
  const stem = fileStem(getEditor().document.meta.name);
  const files = weightsFiles(manifest, weights);
  downloadBlob(files.model, `${stem}.model.json`);
  // The manifest names weights.bin: TF.js loaders look for it beside model.json.
  downloadBlob(files.weights, 'weights.bin');
}

/** How long an export waits for the worker to hand over the weights (it may be between long steps). */
const EXPORT_WEIGHTS_TIMEOUT_MS = 120_000;

/**
 * The weights the app holds for this document's model, for an export: the
 * run in the worker when it trains this model, else the checkpoint stored in
 * this browser (which the worker reads, as it reads every stored
 * checkpoint's weights). Undefined when there are none: no worker was
 * started in this page and nothing is stored for the model.
 */
export async function weightsForExport(document: GraphDocument): Promise<ExportCheckpoint | undefined> {
  const keys = checkpointKeys(document);
  if (!worker) {
    let stored = false;
    try {
      stored = (await storedCheckpoint(checkpoints(), keys)).info !== undefined;
    } catch {
      // No IndexedDB (a private window): nothing stored.
    }
    if (!stored) return undefined;
  }
  const request = nextExportRequest++;
  const answer = new Promise<ExportAnswer>((resolve, reject) => {
    const timer = setTimeout(() => {
      pendingExports.delete(request);
      reject(new Error('the training worker did not hand over the weights in time'));
    }, EXPORT_WEIGHTS_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      pendingExports.delete(request);
    };
    pendingExports.set(request, {
      answer: (event) => {
        done();
        resolve(event);
      },
      fail: (error) => {
        done();
        reject(error);
      },
    });
  });
  send({ type: 'exportWeights', request, keys });
  const event = await answer;
  if (event.error !== undefined) throw new Error(`the weights could not be read: ${event.error}`);
  return event.checkpoint;
}

/**
 * Loads weights picked by the person: model.json with its weights.bin, or
 * one .safetensors file of PyTorch weights (model.py's state_dict), after
 * checking they fit the graph. A refusal changes nothing.
 */
export async function loadWeightsFiles(files: readonly File[]): Promise<void> {
  if (isActive(getTraining().state)) {
    notify('error', 'Stop training before loading weights.');
    return;
  }
  const torch = files.filter((f) => looksLikeSafetensors(f.name));
  if (torch.length > 0) {
    if (files.length > 1) notify('error', 'Pick one .safetensors file on its own, or model.json with weights.bin.');
    else await loadTorchWeights(torch[0]!);
    return;
  }
  const json = files.find((f) => f.name.endsWith('.json'));
  const bin = files.find((f) => !f.name.endsWith('.json'));
  if (!json || !bin) {
    notify('error', 'Pick both files of the weights: model.json and weights.bin.');
    return;
  }
  const document = getEditor().document;
  try {
    const manifest = parseManifest(JSON.parse(await json.text()));
    const weights = await bin.arrayBuffer();
    const problem = checkWeightsFit(manifest, weights.byteLength, document, getEditor().analysis);
    if (problem) throw new Error(problem);
    dispatchTraining({ type: 'weightsLoading' });
    send({ type: 'loadWeights', documentText: saveDocument(document), settings: runSettings(document), manifest, weights }, [weights]);
    notify('info', `Loaded weights at step ${manifest.step}; press “Resume” to train on from there.`);
  } catch (error) {
    const message = error instanceof SyntaxError ? `${json.name} is not JSON` : (error as Error).message;
    dispatchTraining({ type: 'weightsRefused', message: `These weights cannot be loaded: ${message}` });
    notify('error', `These weights cannot be loaded: ${message}`);
  }
}

/** A safetensors file bigger than this is not the weights of a graph the app trains (the checkpoint limit, and its header). */
const MAX_SAFETENSORS_BYTES = WEIGHTS_MAX_BYTES + 100_000_000;

/**
 * PyTorch weights (a safetensors file under model.py's names, as the
 * exported project's train.py writes them): every tensor is checked on this
 * thread (name, dtype, shape, nothing missing or extra, finite values), then
 * they become the graph's weights in the worker, stored as its checkpoint at
 * step 0, and the previews draw with them. A file that does not fit gets one
 * line naming it and what is wrong, and nothing the person had changes.
 */
async function loadTorchWeights(file: File): Promise<void> {
  // One line, whatever the file is called.
  const refuse = (message: string) => notify('error', `These weights cannot be loaded: ${message}`.replace(/\s*[\r\n]+\s*/g, ' '));
  if (file.size > MAX_SAFETENSORS_BYTES) {
    refuse(`${file.name} is ${file.size.toLocaleString('en-US')} bytes, more than the weights of a graph GenComposer trains`);
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    refuse(`${file.name} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const document = getEditor().document;
  const result = checkpointFromSafetensors(bytes, file.name, document, getEditor().analysis);
  if (!result.ok) {
    refuse(result.message);
    return;
  }
  let settings: TrainingSettings;
  try {
    settings = runSettings(document);
  } catch (error) {
    refuse(`the training settings are out of range: ${(error as Error).message}`);
    return;
  }
  const { manifest, weights } = result.checkpoint;
  dispatchTraining({ type: 'weightsLoading' });
  send({ type: 'loadWeights', documentText: saveDocument(document), settings, manifest, weights }, [weights]);
  notify('info', `Loaded ${result.tensors} PyTorch tensors from ${file.name}; the previews draw with them, and “Resume from step 0” trains on from them.`);
}

/** Asks before the graph changes under a run; yes stops the run (it saves a checkpoint) and lets the change through. */
function guardEdits(label: string): boolean {
  if (!isActive(getTraining().state)) return true;
  const ok = window.confirm(`Training is running on this graph. Stop training first, then ${label.toLowerCase()}?\n\nThe run is saved as a checkpoint when it stops.`);
  if (ok) stopTraining();
  else notify('info', 'The graph was left as it is while training runs.');
  return ok;
}

let lookup = 0;
/** Reads which checkpoint is stored for the graph on screen. */
async function refreshStored(document: GraphDocument): Promise<void> {
  const ticket = ++lookup;
  try {
    const { info } = await storedCheckpoint(checkpoints(), checkpointKeys(document));
    if (ticket === lookup) dispatchTraining({ type: 'storedFound', info });
  } catch {
    // No IndexedDB (a private window): nothing to resume.
  }
}

let installed = false;

/** Installs the edit guard and follows the graph on screen for stored checkpoints. */
export function installTraining(): void {
  if (installed) return;
  installed = true;
  setEditGuard(guardEdits);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastKeyDocument: GraphDocument | undefined;
  const follow = (document: GraphDocument) => {
    if (document === lastKeyDocument) return;
    lastKeyDocument = document;
    clearTimeout(timer);
    timer = setTimeout(() => void refreshStored(document), 250);
  };
  follow(getEditor().document);
  useEditor.subscribe((s) => follow(s.document));
  // Another graph opened: its run (if any) is not this one's.
  useEditor.subscribe((s, previous) => {
    if (s.generation !== previous.generation) dispatchTraining({ type: 'graphOpened' });
  });
}
