import { describe, expect, it } from 'vitest';
import { backendOrder, backendsAfter, chooseBackend, adapterName, NoBackendError, softwareRenderer } from '../../src/worker/backend-choice.ts';
import { parseWorkerCommand, trainingSettings, transferablesOf, BROWSER_BACKENDS, type WorkerEvent } from '../../src/worker/protocol.ts';

describe('the worker protocol', () => {
  it('fills in default settings and refuses values out of range', () => {
    const s = trainingSettings({ totalSteps: 100 });
    expect(s).toMatchObject({ totalSteps: 100, logEvery: 10, previewCount: 36, checkpointEvery: 250, backend: 'auto' });
    expect(s.batchSize).toBeUndefined();
    expect(() => trainingSettings({ totalSteps: 0 })).toThrow();
    expect(() => trainingSettings({ totalSteps: 10, backend: 'cuda' as 'wasm' })).toThrow();
  });

  it('accepts the commands and says what is wrong with a bad one', () => {
    const settings = trainingSettings({ totalSteps: 5 });
    expect(parseWorkerCommand({ type: 'start', documentText: '{"a":1}', settings, resume: true }).ok).toBe(true);
    expect(parseWorkerCommand({ type: 'pause' }).ok).toBe(true);
    expect(parseWorkerCommand({ type: 'sample', temperature: 0.8 }).ok).toBe(true);
    expect(parseWorkerCommand({ type: 'loadWeights', documentText: '{}', settings, manifest: {}, weights: new ArrayBuffer(8) }).ok).toBe(true);
    const bad = parseWorkerCommand({ type: 'sample', temperature: 50 });
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/^bad command to the training worker: temperature: /) });
    expect(parseWorkerCommand({ type: 'pause', extra: 1 }).ok).toBe(false);
    expect(parseWorkerCommand(null).ok).toBe(false);
    expect(parseWorkerCommand({ type: 'loadWeights', documentText: '{}', settings, manifest: {}, weights: [1, 2] }).ok).toBe(false);
  });

  it('accepts a choice of labels for a conditioned sampler and refuses malformed ones with the field', () => {
    for (const choice of [{ kind: 'each-class' }, { kind: 'held-out' }, { kind: 'values', values: [3] }, { kind: 'values', values: [0, 9] }]) {
      expect(parseWorkerCommand({ type: 'condition', sampler: 'sampler', choice })).toEqual({ ok: true, command: { type: 'condition', sampler: 'sampler', choice } });
    }
    const refused = (choice: unknown, sampler: unknown = 'sampler') => {
      const parsed = parseWorkerCommand({ type: 'condition', sampler, choice });
      return parsed.ok ? 'accepted' : parsed.error;
    };
    expect(refused({ kind: 'values', values: [-1] })).toMatch(/^bad command to the training worker: choice\.values\.0: /);
    expect(refused({ kind: 'values', values: [1.5] })).toMatch(/choice\.values\.0: /);
    expect(refused({ kind: 'values', values: [] })).toMatch(/choice\.values: /);
    expect(refused({ kind: 'values', values: Array(4097).fill(1) })).toMatch(/choice\.values: /);
    expect(refused({ kind: 'some-class' })).toMatch(/choice\.kind: /);
    expect(refused({ kind: 'each-class', values: [1] })).toMatch(/^bad command to the training worker: choice: /);
    expect(refused({ kind: 'held-out' }, '')).toMatch(/sampler: /);
    expect(refused(undefined)).toMatch(/choice: /);
  });

  it('transfers pixel and weight buffers instead of copying them', () => {
    const pixels = new Uint8ClampedArray(16);
    const previews: WorkerEvent = {
      type: 'previews',
      step: 3,
      previews: [
        { kind: 'image', id: 'grid:s', title: 't', width: 2, height: 2, pixels },
        { kind: 'text', id: 'text:s', title: 't', texts: ['ab'], temperature: 1 },
      ],
    };
    expect(transferablesOf(previews)).toEqual([pixels.buffer]);
    const weights = new ArrayBuffer(4);
    expect(transferablesOf({ type: 'weights', step: 1, manifest: {}, weights })).toEqual([weights]);
    expect(transferablesOf({ type: 'notice', text: 'x' })).toEqual([]);
  });
});

describe('backend choice', () => {
  it('takes the first backend that starts and says why the earlier ones did not', async () => {
    const tried: string[] = [];
    const choice = await chooseBackend(BROWSER_BACKENDS, async (name) => {
      tried.push(name);
      if (name === 'webgpu') throw new Error('WebGPU found no adapter');
      return {};
    });
    expect(tried).toEqual(['webgpu', 'webgl']);
    expect(choice).toEqual({ backend: 'webgl', fallbackReason: 'webgpu: WebGPU found no adapter' });
  });

  it('reports the adapter, and no reason when the first backend runs', async () => {
    expect(await chooseBackend(BROWSER_BACKENDS, async () => ({ adapter: 'google swiftshader' }))).toEqual({ backend: 'webgpu', adapter: 'google swiftshader' });
  });

  it('fails with every reason when nothing starts', async () => {
    const failing = chooseBackend(['webgl', 'wasm'], async (name) => {
      throw new Error(`${name} broke`);
    });
    await expect(failing).rejects.toThrow(NoBackendError);
    await expect(failing).rejects.toThrow('no backend could start (webgl: webgl broke; wasm: wasm broke)');
  });

  it('falls back along the order after a lost device, carrying the reason', async () => {
    expect(backendsAfter(BROWSER_BACKENDS, 'webgpu')).toEqual(['webgl', 'wasm']);
    expect(backendsAfter(BROWSER_BACKENDS, 'wasm')).toEqual([]);
    expect(backendsAfter(['webgpu', 'wasm'], 'webgpu')).toEqual(['wasm']);
    const choice = await chooseBackend(['webgl', 'wasm'], async () => ({}), 'webgpu: the GPU device was lost (unknown)');
    expect(choice.fallbackReason).toBe('webgpu: the GPU device was lost (unknown)');
  });

  it('passes a software GPU by while a backend is left to try, unless software GPUs are allowed', async () => {
    // A stand-in for the browser: both GPU backends run on SwiftShader here.
    const start = async (name: string, options?: { refuseSoftware?: boolean }) => {
      const software = name === 'wasm' ? undefined : softwareRenderer(name === 'webgpu' ? 'google swiftshader' : 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))');
      if (options?.refuseSoftware && software) throw new Error(`${software}, slower than WASM here`);
      return {};
    };
    const auto = await chooseBackend(BROWSER_BACKENDS, start);
    expect(auto.backend).toBe('wasm');
    expect(auto.fallbackReason).toBe(
      'webgpu: google swiftshader renders in software, slower than WASM here; webgl: ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero))) renders in software, slower than WASM here',
    );
    expect((await chooseBackend(BROWSER_BACKENDS, start, undefined, { softwareGpu: true })).backend).toBe('webgpu');
    // The last backend of the order is never refused: asked for by name, WebGPU runs on what there is.
    expect((await chooseBackend(['webgpu'], start)).backend).toBe('webgpu');
  });

  it('knows software renderers by name, and fallback adapters by their flag', () => {
    expect(softwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe('llvmpipe (LLVM 15.0.6, 256 bits) renders in software');
    expect(softwareRenderer('Microsoft Basic Render Driver')).toBe('Microsoft Basic Render Driver renders in software');
    expect(softwareRenderer('NVIDIA GeForce RTX 4090')).toBeUndefined();
    expect(softwareRenderer(undefined)).toBeUndefined();
    expect(softwareRenderer('some adapter', true)).toBe('some adapter is a software fallback');
    expect(softwareRenderer(undefined, true)).toBe('the adapter is a software fallback');
  });

  it('tries every backend in order on auto, and only the named one otherwise', () => {
    expect(backendOrder('auto')).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(backendOrder('wasm')).toEqual(['wasm']);
    expect(backendsAfter(backendOrder('webgl'), 'webgl')).toEqual([]);
  });

  it('names an adapter by its description, else vendor and architecture', () => {
    expect(adapterName({ vendor: 'google', architecture: 'swiftshader', description: '' })).toBe('google swiftshader');
    expect(adapterName({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' })).toBe('NVIDIA H100');
    expect(adapterName({})).toBeUndefined();
    expect(adapterName(undefined)).toBeUndefined();
  });
});
