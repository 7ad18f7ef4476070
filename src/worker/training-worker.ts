/// <reference types="vite/client" />
/**
 * The training worker: runs TrainingRunner on the browser's backends,
 * reads data from the app's public/ folder and keeps checkpoints in
 * IndexedDB. Commands that build a graph (start, loadWeights) are queued so
 * they run one after another; the others (pause, resume, stop, sample,
 * requestCheckpoint, exportWeights, loseDevice) must reach a run in
 * progress, so they are handled at once.
 */
import { activeGpuDevice, removeBackend, startBrowserBackend } from './browser-backends.ts';
import { transferablesOf, type WorkerEvent } from './protocol.ts';
import { TrainingRunner } from './runner.ts';
import { indexedDbCheckpoints } from '../storage/checkpoints.ts';
import { readAttachedFile } from '../storage/user-files.ts';

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

const scope = self as unknown as WorkerScope;

async function readAsset(path: string): Promise<Uint8Array> {
  const url = new URL(`${import.meta.env.BASE_URL}${path}`, self.location.origin);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const runner = new TrainingRunner({
  post: (event: WorkerEvent) => scope.postMessage(event, transferablesOf(event)),
  startBackend: startBrowserBackend,
  readAsset,
  readUserFile: readAttachedFile,
  store: indexedDbCheckpoints(),
  gpuDevice: activeGpuDevice,
  dropBackend: removeBackend,
});

const QUEUED = new Set(['start', 'loadWeights']);
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event: MessageEvent) => {
  const type = (event.data as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && QUEUED.has(type)) queue = queue.then(() => runner.handle(event.data));
  else void runner.handle(event.data);
};
