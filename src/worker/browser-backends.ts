/// <reference types="vite/client" />
/// <reference types="@webgpu/types" />
/**
 * Starting TF.js backends inside the training worker. Each start either
 * activates its backend or throws with the reason a person can read:
 * - webgpu: needs navigator.gpu and an adapter (its name is reported);
 * - webgl: an OffscreenCanvas WebGL context, which workers have in Chromium;
 * - wasm: the .wasm binaries as vite serves them, plus the training kernels
 *   TF.js's wasm backend lacks (see core/train/backends/wasm-kernels.ts); on
 *   a cross-origin isolated page the threaded-SIMD binary on one thread per
 *   core (the count is reported, see wasm-threads.ts).
 * Backends are imported on demand, so a worker that runs on WebGPU never
 * loads the others.
 */
import * as tf from '@tensorflow/tfjs-core';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { adapterName, softwareRenderer, type StartBackend, type StartedBackend } from './backend-choice.ts';
import type { BrowserBackend } from './protocol.ts';
import { wasmThreadsLimit, wasmThreadsWanted } from './wasm-threads.ts';

interface WebGpuBackendLike {
  device: GPUDevice;
}

/** Whether the WASM backend's binaries and threads have been set (once, before it first starts). */
let wasmConfigured = false;

async function activate(name: BrowserBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`TF.js could not initialise its ${name} backend`);
  await tf.ready();
}

/** Why a software renderer is passed by, in the badge's words. */
const slower = (software: string) => `${software}, slower than WASM here`;

async function startWebGpu(refuseSoftware: boolean): Promise<StartedBackend> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new Error('this browser offers no WebGPU here (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU found no adapter');
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const name = adapterName(info);
  // Chromium reports it on the adapter's info, older versions on the adapter.
  const fallback = info?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  const software = softwareRenderer(name, fallback);
  if (refuseSoftware && software) throw new Error(slower(software));
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
  return name ? { adapter: name } : {};
}

async function startWebGl(refuseSoftware: boolean): Promise<StartedBackend> {
  if (typeof OffscreenCanvas === 'undefined') throw new Error('no OffscreenCanvas in this worker, so no WebGL');
  const probe = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!probe) throw new Error('no WebGL 2 context in this worker');
  const debug = probe.getExtension('WEBGL_debug_renderer_info');
  const renderer = debug ? String(probe.getParameter(debug.UNMASKED_RENDERER_WEBGL)) : undefined;
  probe.getExtension('WEBGL_lose_context')?.loseContext();
  const software = softwareRenderer(renderer);
  if (refuseSoftware && software) throw new Error(slower(software));
  await import('@tensorflow/tfjs-backend-webgl');
  await activate('webgl');
  return {};
}

/** Whether this worker may use SharedArrayBuffer, which the threaded binary needs. */
function crossOriginIsolatedHere(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
}

/**
 * Runs `init` while navigator.hardwareConcurrency reads twice `threads`.
 * TF.js 4.22's threaded binary caps its pool at min(asked, 8,
 * hardwareConcurrency / 2) (it assumes two hyperthreads per core and reads
 * the count once, as the module starts), which leaves a 2-core machine on
 * one thread whatever setThreadsCount asks. Reading twice the threads wanted
 * while it starts lifts that cap to them (they are at most the cores, so no
 * more threads than cores run); setThreadsCount says how many. The worker's
 * own property is removed afterwards, so the browser's value reads again.
 */
async function withCoresReadAsDoubled<T>(threads: number, init: () => Promise<T>): Promise<T> {
  let shadowed = false;
  try {
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: threads * 2, configurable: true });
    shadowed = true;
  } catch {
    // A browser that refuses the property: the backend starts on the threads its own cap allows.
  }
  try {
    return await init();
  } finally {
    if (shadowed) delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function startWasm(): Promise<StartedBackend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const { registerWasmTrainingKernels } = await import('../core/train/backends/wasm-kernels.ts');
  registerWasmTrainingKernels();
  const cores = navigator.hardwareConcurrency;
  const isolated = crossOriginIsolatedHere();
  if (wasmConfigured) {
    await activate('wasm');
  } else {
    // Before the backend's first initialisation (tf.findBackend would start it, so it is not asked):
    // where vite serves each binary, and the threads, fixed when the backend starts.
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
    wasmConfigured = true;
    if (isolated) {
      // One thread per core (TF.js's own default is half of them, and at most what its cap allows).
      const threads = wasmThreadsWanted(cores);
      wasm.setThreadsCount(threads);
      await withCoresReadAsDoubled(threads, () => activate('wasm'));
    } else {
      // No SharedArrayBuffer: TF.js loads the single-threaded SIMD binary.
      await activate('wasm');
    }
  }
  const threads = wasm.getThreadsCount();
  const threadsLimit = wasmThreadsLimit({ threads, cores, isolated });
  return { threads, ...(threadsLimit ? { threadsLimit } : {}) };
}

export const startBrowserBackend: StartBackend = (name, options = {}) => {
  const refuseSoftware = options.refuseSoftware ?? false;
  switch (name) {
    case 'webgpu':
      return startWebGpu(refuseSoftware);
    case 'webgl':
      return startWebGl(refuseSoftware);
    case 'wasm':
      return startWasm();
  }
};

/** The WebGPU device of the active backend, when WebGPU runs. */
export function activeGpuDevice(): GPUDevice | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  return (tf.backend() as unknown as WebGpuBackendLike).device;
}

/** Drops a backend whose device is gone, so nothing uses it again. */
export function removeBackend(name: BrowserBackend): void {
  try {
    if (tf.findBackend(name)) tf.removeBackend(name);
  } catch {
    // A backend on a lost device may fail to dispose; it is dropped either way.
  }
}
