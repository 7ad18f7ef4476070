import { describe, expect, it } from 'vitest';
import { backendBadgeText, chooseBackend } from '../../src/worker/backend-choice.ts';
import { NOT_ISOLATED, WASM_MAX_THREADS, threadsText, wasmThreadsLimit, wasmThreadsNote, wasmThreadsText, wasmThreadsWanted } from '../../src/worker/wasm-threads.ts';

describe('WASM threads', () => {
  it('asks for one thread per core, at least one and at most the pool TF.js builds', () => {
    expect(wasmThreadsWanted(2)).toBe(2);
    expect(wasmThreadsWanted(6)).toBe(6);
    expect(wasmThreadsWanted(64)).toBe(WASM_MAX_THREADS);
    expect(wasmThreadsWanted(1)).toBe(1);
    expect(wasmThreadsWanted(0)).toBe(1);
    expect(wasmThreadsWanted(undefined)).toBe(1);
    expect(wasmThreadsWanted(Number.NaN)).toBe(1);
  });

  it('says why it runs on one thread only when the machine has more to give', () => {
    expect(wasmThreadsLimit({ threads: 2, cores: 2, isolated: true })).toBeUndefined();
    expect(wasmThreadsLimit({ threads: 8, cores: 16, isolated: true })).toBeUndefined();
    expect(wasmThreadsLimit({ threads: 1, cores: 1, isolated: false })).toBeUndefined();
    expect(wasmThreadsLimit({ threads: 1, cores: 4, isolated: false })).toBe(NOT_ISOLATED);
    expect(wasmThreadsLimit({ threads: 1, cores: 4, isolated: true })).toBe('this browser runs WebAssembly without threads');
  });

  it('names the count, and the reason beside it', () => {
    expect(threadsText(1)).toBe('1 thread');
    expect(threadsText(2)).toBe('2 threads');
    expect(wasmThreadsText(2)).toBe('2 threads');
    expect(wasmThreadsText(1, NOT_ISOLATED)).toBe('1 thread (the page is not cross-origin isolated)');
    expect(wasmThreadsNote(1, NOT_ISOLATED)).toMatch(/^WASM runs on 1 thread \(the page is not cross-origin isolated\): .*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\.$/);
    expect(wasmThreadsNote(1, 'this browser runs WebAssembly without threads')).toBe('WASM runs on 1 thread (this browser runs WebAssembly without threads).');
  });

  it('shows the threads on the badge, as it shows a WebGPU adapter', () => {
    expect(backendBadgeText({ backend: 'wasm', threads: 2 })).toBe('WASM · 2 threads');
    expect(backendBadgeText({ backend: 'wasm', threads: 1 })).toBe('WASM · 1 thread');
    expect(backendBadgeText({ backend: 'wasm' })).toBe('WASM');
    expect(backendBadgeText({ backend: 'webgpu', adapter: 'google swiftshader' })).toBe('WebGPU · google swiftshader');
  });

  it('carries the threads and their limit from the backend that starts to the choice the UI is sent', async () => {
    const choice = await chooseBackend(['webgpu', 'wasm'], async (name) => {
      if (name === 'webgpu') throw new Error('no adapter');
      return { threads: 1, threadsLimit: NOT_ISOLATED };
    });
    expect(choice).toEqual({ backend: 'wasm', threads: 1, threadsLimit: NOT_ISOLATED, fallbackReason: 'webgpu: no adapter' });
    expect(await chooseBackend(['wasm'], async () => ({ threads: 2 }))).toEqual({ backend: 'wasm', threads: 2 });
  });
});
