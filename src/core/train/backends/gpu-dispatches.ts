/**
 * Counts what the GPU sees: every compute dispatch recorded on any
 * GPUComputePassEncoder of this realm (TF.js's own programs, custom kernels,
 * anything else), by wrapping the encoder's two dispatch methods once.
 *
 * tf.profile counts kernels, which is not the same number: a Reshape or a
 * kernel run on the CPU copy of a small tensor dispatches nothing, and a
 * kernel may record more than one program. On a GPU each dispatch costs a
 * roughly fixed time whatever its size, so this is the count to lower.
 *
 * Works wherever WebGPU's interface objects are globals: a browser page or
 * worker, and Node once Dawn's globals are installed (backends/node.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

interface DispatchCounter {
  /** Dispatches recorded since the counter was installed. */
  readonly total: number;
}

const state = { total: 0 };
let installed = false;

type DispatchMethod = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Installs the counter (once) and returns it; undefined where this realm has
 * no WebGPU (wasm and cpu dispatch nothing to a GPU).
 */
export function gpuDispatchCounter(): DispatchCounter | undefined {
  const encoder = (globalThis as unknown as { GPUComputePassEncoder?: { prototype: Record<string, unknown> } }).GPUComputePassEncoder;
  if (!encoder) return undefined;
  if (!installed) {
    for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
      const original = encoder.prototype[name] as DispatchMethod | undefined;
      if (typeof original !== 'function') continue;
      encoder.prototype[name] = function (this: unknown, ...args: unknown[]) {
        state.total += 1;
        return original.apply(this, args);
      };
    }
    installed = true;
  }
  return state;
}

/**
 * Dispatches recorded while `run` and its awaited device work ran; undefined
 * unless TF.js runs on WebGPU. TF.js records a program's dispatch when the kernel runs,
 * so the count is complete once `run` resolves.
 */
export async function countGpuDispatches(run: () => Promise<void>): Promise<number | undefined> {
  const counter = tf.getBackend() === 'webgpu' ? gpuDispatchCounter() : undefined;
  const before = counter?.total ?? 0;
  await run();
  return counter ? counter.total - before : undefined;
}

interface UploadingBackend {
  uploadToGPU(dataId: object): void;
  tensorMap: { get(dataId: object): { values?: unknown; resource?: unknown } | undefined };
}

/**
 * Tensors uploaded from JavaScript values to the GPU while `run` ran (TF.js
 * makes each on first use; each is a staging copy, and TF.js ends the
 * compute pass being recorded for it); undefined unless TF.js runs on
 * WebGPU. Counted by wrapping the WebGPU backend's upload for the call.
 */
export async function countGpuUploads(run: () => Promise<void>): Promise<number | undefined> {
  if (tf.getBackend() !== 'webgpu') {
    await run();
    return undefined;
  }
  const backend = tf.backend() as unknown as UploadingBackend;
  const upload = backend.uploadToGPU;
  let uploads = 0;
  backend.uploadToGPU = function (this: UploadingBackend, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data && data.resource == null && data.values != null) uploads += 1;
    return upload.call(this, dataId);
  };
  try {
    await run();
  } finally {
    backend.uploadToGPU = upload;
  }
  return uploads;
}
