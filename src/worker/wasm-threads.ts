/**
 * How many threads TF.js's WASM backend runs on, and how the badge and the
 * panel say it. Pure; the worker reads the browser's side
 * (crossOriginIsolated, navigator.hardwareConcurrency) and passes it in.
 *
 * Threads need the threaded-SIMD binary, which needs SharedArrayBuffer,
 * which browsers give only to a cross-origin isolated page (served with
 * COOP: same-origin and COEP: require-corp, see docs/hosting.md). Without it
 * TF.js loads the single-threaded SIMD binary and WASM runs on one thread.
 */

/**
 * The most threads the threaded binary of TF.js 4.22 runs: it pre-creates 8
 * Web Workers for its thread pool and caps the pool at 8.
 */
export const WASM_MAX_THREADS = 8;

/** The threads to ask for: one per logical core the browser reports, at most WASM_MAX_THREADS. */
export function wasmThreadsWanted(cores: number | undefined): number {
  const n = Number.isFinite(cores) ? Math.floor(cores!) : 1;
  return Math.min(Math.max(n, 1), WASM_MAX_THREADS);
}

export const NOT_ISOLATED = 'the page is not cross-origin isolated';

/** What the worker knows when the WASM backend has started. */
export interface WasmThreadsFacts {
  /** The threads the backend runs on (TF.js's getThreadsCount()). */
  threads: number;
  /** navigator.hardwareConcurrency. */
  cores: number | undefined;
  /** self.crossOriginIsolated. */
  isolated: boolean;
}

/**
 * Why WASM runs on fewer threads than the machine offers, in the panel's
 * words, or undefined when it runs on all it can. A machine with one core
 * has nothing to explain.
 */
export function wasmThreadsLimit({ threads, cores, isolated }: WasmThreadsFacts): string | undefined {
  if (threads >= wasmThreadsWanted(cores)) return undefined;
  if (!isolated) return NOT_ISOLATED;
  // Isolated, so SharedArrayBuffer exists; the browser then lacks WebAssembly threads themselves.
  return 'this browser runs WebAssembly without threads';
}

/** "1 thread", "2 threads". */
export function threadsText(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}

/** The threads as the panel says them: "2 threads", or "1 thread (the page is not cross-origin isolated)". */
export function wasmThreadsText(threads: number, limit?: string): string {
  return limit ? `${threadsText(threads)} (${limit})` : threadsText(threads);
}

/**
 * The panel's line when WASM runs on fewer threads than it could: how many,
 * why, and for a page that is not isolated what its server must send (a
 * static host without the headers is the usual reason).
 */
export function wasmThreadsNote(threads: number, limit: string): string {
  const text = `WASM runs on ${wasmThreadsText(threads, limit)}`;
  if (limit !== NOT_ISOLATED) return `${text}.`;
  return `${text}: threads need SharedArrayBuffer, which the browser gives only to a page served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.`;
}
