/// <reference types="vite/client" />
/// <reference types="@webgpu/types" />
/**
 * Starting TF.js backends inside the training worker. Each start either
 * activates its backend or throws with the reason a person can read:
 * - webgpu: needs navigator.gpu and an adapter (its name is reported);
 * - webgl: an OffscreenCanvas WebGL context, which workers have in Chromium;
 * - wasm: the .wasm binaries as vite serves them, plus the training kernels
 *   TF.js's wasm backend lacks (see core/train/backends/wasm-kernels.ts).
 * Backends are imported on demand, so a worker that runs on WebGPU never
 * loads the others.
 */
import * as tf from '@tensorflow/tfjs-core';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { adapterName, softwareRenderer, type StartBackend } from './backend-choice.ts';
import type { BrowserBackend } from './protocol.ts';

interface WebGpuBackendLike {
  device: GPUDevice;
}

let wasmPathsSet = false;

async function activate(name: BrowserBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`TF.js could not initialise its ${name} backend`);
  await tf.ready();
}

/** Why a software renderer is passed by, in the badge's words. */
const slower = (software: string) => `${software}, slower than WASM here`;

async function startWebGpu(refuseSoftware: boolean): Promise<{ adapter?: string }> {
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

async function startWebGl(refuseSoftware: boolean): Promise<{ adapter?: string }> {
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

async function startWasm(): Promise<{ adapter?: string }> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet && tf.findBackend('wasm') == null) {
    // Before the backend's first initialisation: where vite serves each binary.
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
    wasmPathsSet = true;
  }
  const { registerWasmTrainingKernels } = await import('../core/train/backends/wasm-kernels.ts');
  registerWasmTrainingKernels();
  await activate('wasm');
  return {};
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
