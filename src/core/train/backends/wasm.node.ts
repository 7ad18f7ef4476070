/**
 * The wasm backend in Node: points it at the package's .wasm binaries, adds
 * the training kernels it lacks, and makes it the active backend.
 *
 * Node gets the SIMD binary on a single thread: TF.js 4.22 turns off
 * multithreading whenever it runs in Node.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm-kernels.ts';

let pathsSet = false;

/** The folder holding tfjs-backend-wasm's .wasm files, with a trailing separator. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

/** Switches TF.js to the wasm backend, ready to train. Throws if it cannot start. */
export async function useWasmBackend(): Promise<void> {
  if (!pathsSet && tf.findBackend('wasm') == null) {
    // setWasmPaths must come before the backend's first initialisation.
    setWasmPaths(wasmBinaryFolder());
    pathsSet = true;
  }
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('The wasm backend failed to initialise');
}
