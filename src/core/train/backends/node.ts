/**
 * Picks and initialises the TF.js backend in Node (CLI, tests) and says which
 * one runs.
 *
 * - webgpu: TF.js's WebGPU backend on Dawn for Node (npm package `webgpu`).
 *   Vulkan is tried first (a GPU server with its vendor's driver and the
 *   Vulkan loader libvulkan1), then OpenGL through Mesa's EGL in WebGPU
 *   compatibility mode (EGL_PLATFORM=surfaceless; on a machine with no GPU
 *   that is Mesa's software rasterizer, llvmpipe).
 * - wasm: the fast CPU path.
 * - cpu: plain JavaScript, always there.
 *
 * 'auto' takes webgpu only on a hardware adapter. WebGPU on llvmpipe works
 * but is slower than wasm. One training step of a 784-256-784 MLP (ReLU,
 * sigmoid, MSE, SGD via tf.variableGrads), batch 64, all backends in one run
 * (bench/node-backends.bench.ts), on a 2-core x86-64 machine with no GPU
 * (Mesa 22.3.6 llvmpipe), five runs with other work alongside:
 *   wasm 49-91 ms, webgpu on llvmpipe 60-176 ms, cpu 223-338 ms per step
 *   (webgpu 1.2-2.1x and cpu 2.7-4.6x wasm within a run); 53 kernels per
 *   step on each, same losses.
 * So with no GPU 'auto' picks wasm; 'webgpu' asked for explicitly still runs
 * on llvmpipe. (llvmpipe spreads over all cores while wasm in Node runs on one
 * thread, so the bench is worth rerunning on a many-core machine.)
 *
 * Switching backends is global in TF.js: the last call wins.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type NodeBackendName = 'webgpu' | 'wasm' | 'cpu';
export type RequestedNodeBackend = 'auto' | NodeBackendName;

export interface BackendInfo {
  name: NodeBackendName;
  /** webgpu only: the adapter as Dawn describes it, e.g. "NVIDIA H200" or "llvmpipe ...". */
  adapter?: string;
  /** webgpu only: the native API Dawn runs on. */
  api?: 'vulkan' | 'opengl';
  /** webgpu only: true when the adapter is a software rasterizer (llvmpipe, SwiftShader, ...). */
  software?: boolean;
  /** Why a faster backend was not used (with 'auto'). */
  fallbackReason?: string;
}

/**
 * A backend that was asked for cannot run here. The message says what is
 * missing and is meant to be shown as is, without a stack trace.
 */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer|basic render driver/i;

/** Debian packages for WebGPU on OpenGL through Mesa (libegl-dev holds the libEGL.so that Dawn opens). */
export const MESA_PACKAGES = 'libegl-dev libegl-mesa0 libgl1-mesa-dri';

/** Picks, initialises and activates a backend; see the file comment for the order. */
export async function initNodeBackend(requested: RequestedNodeBackend): Promise<BackendInfo> {
  // Silences TF.js's advice to install its native Node backend.
  tf.env().set('PROD', true);
  switch (requested) {
    case 'cpu':
      await activate('cpu');
      return { name: 'cpu' };
    case 'wasm':
      await useWasm();
      return { name: 'wasm' };
    case 'webgpu': {
      const choice = await chooseGpu(false);
      if ('missing' in choice) throw new BackendUnavailableError(`WebGPU is not available here: ${choice.missing}`);
      return activateWebGpu(choice);
    }
    case 'auto':
      return initAuto();
    default:
      throw new BackendUnavailableError(`unknown backend "${String(requested)}" (use auto, webgpu, wasm or cpu)`);
  }
}

async function initAuto(): Promise<BackendInfo> {
  const reasons: string[] = [];
  const choice = await chooseGpu(true);
  if ('missing' in choice) reasons.push(`webgpu: ${choice.missing}`);
  else {
    try {
      return await activateWebGpu(choice);
    } catch (error) {
      reasons.push(`webgpu: ${messageOf(error)}`);
    }
  }
  try {
    await useWasm();
    return { name: 'wasm', fallbackReason: reasons.join('; ') };
  } catch (error) {
    reasons.push(`wasm: ${messageOf(error)}`);
  }
  await activate('cpu');
  return { name: 'cpu', fallbackReason: reasons.join('; ') };
}

// ---------------------------------------------------------------- wasm

/** The wasm backend with its extra training kernels, activated. */
async function useWasm(): Promise<void> {
  try {
    const { useWasmBackend } = await import('./wasm.node.ts');
    await useWasmBackend();
  } catch (error) {
    throw new BackendUnavailableError(messageOf(error));
  }
}

// ---------------------------------------------------------------- webgpu

type DawnModule = typeof import('webgpu');

interface GpuFound {
  gpu: GPU;
  api: 'vulkan' | 'opengl';
  adapter: string;
  software: boolean;
}

/** Either an adapter to run on, or what is missing for one. */
type GpuChoice = GpuFound | { missing: string };

/** The adapter TF.js's WebGPU backend was created on; fixed for the process. */
let activeGpu: GpuFound | undefined;
const probes = new Map<'vulkan' | 'opengl', Promise<GpuFound | { missing: string }>>();

/**
 * Finds a WebGPU adapter: Vulkan first, then OpenGL through Mesa. With
 * `hardwareOnly`, a software adapter counts as missing, and OpenGL is only
 * tried where a GPU render node exists.
 */
async function chooseGpu(hardwareOnly: boolean): Promise<GpuChoice> {
  if (activeGpu) {
    if (hardwareOnly && activeGpu.software) return { missing: softwareReason(activeGpu) };
    return activeGpu;
  }
  let dawn: DawnModule;
  try {
    dawn = await import('webgpu');
  } catch (error) {
    return { missing: `the npm package "webgpu" (Dawn for Node) could not be loaded on ${process.platform}-${process.arch}: ${messageOf(error)}` };
  }
  const missing: string[] = [];

  const vulkan = await probe(dawn, 'vulkan');
  if ('gpu' in vulkan && !(hardwareOnly && vulkan.software)) return vulkan;
  missing.push('gpu' in vulkan ? softwareReason(vulkan) : `Vulkan: ${vulkan.missing}`);

  if (hardwareOnly && !hasRenderNode()) {
    missing.push('OpenGL: no GPU render node (/dev/dri/renderD*), so only a software rasterizer, slower than wasm');
    return { missing: missing.join('; ') };
  }
  const opengl = await probe(dawn, 'opengl');
  if ('gpu' in opengl && !(hardwareOnly && opengl.software)) return opengl;
  missing.push('gpu' in opengl ? softwareReason(opengl) : `OpenGL: ${opengl.missing}`);
  return { missing: missing.join('; ') };
}

function softwareReason(found: GpuFound): string {
  return `the only WebGPU adapter is a software rasterizer (${found.adapter}), slower than wasm`;
}

function probe(dawn: DawnModule, api: 'vulkan' | 'opengl'): Promise<GpuFound | { missing: string }> {
  let result = probes.get(api);
  if (!result) {
    result = api === 'vulkan' ? probeVulkan(dawn) : probeOpenGl(dawn);
    probes.set(api, result);
  }
  return result;
}

async function probeVulkan(dawn: DawnModule): Promise<GpuFound | { missing: string }> {
  // Without a driver manifest Dawn only prints warnings and finds nothing.
  if (!hasVulkanDriver()) return { missing: 'no Vulkan driver is installed (a GPU server needs its vendor driver and libvulkan1)' };
  if (!findLibrary('libvulkan.so.1')) return { missing: 'the Vulkan loader libvulkan.so.1 is missing (Debian package libvulkan1)' };
  return requestAdapter(dawn.create(['backend=vulkan']), 'vulkan', 'Vulkan found no usable GPU');
}

async function probeOpenGl(dawn: DawnModule): Promise<GpuFound | { missing: string }> {
  // Dawn opens the unversioned name, which only the -dev package installs.
  if (!findLibrary('libEGL.so')) return { missing: `libEGL.so is missing (Debian packages ${MESA_PACKAGES})` };
  // Mesa's EGL without a display; read when EGL starts, so set before the first adapter request.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = dawn.create(['backend=opengl']);
  // Dawn offers OpenGL adapters only at WebGPU's compatibility feature level.
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (options = {}) => request({ ...options, featureLevel: 'compatibility' });
  return requestAdapter(gpu, 'opengl', `Mesa's EGL/OpenGL gave no adapter (Debian packages ${MESA_PACKAGES}, EGL_PLATFORM=${process.env.EGL_PLATFORM})`);
}

async function requestAdapter(gpu: GPU, api: 'vulkan' | 'opengl', none: string): Promise<GpuFound | { missing: string }> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { missing: `${none}: ${messageOf(error)}` };
  }
  if (!adapter) return { missing: none };
  const info = adapter.info;
  const adapterName = describeAdapter(info);
  return { gpu, api, adapter: adapterName, software: info.isFallbackAdapter || SOFTWARE_ADAPTER.test(adapterName) };
}

/**
 * "description, vendor, architecture, device", the non-empty ones without
 * repeats; an OpenGL version string goes last, after the renderer's name.
 */
function describeAdapter(info: GPUAdapterInfo): string {
  const parts: string[] = [];
  for (const part of [info.description, info.vendor, info.architecture, info.device]) {
    const text = part?.trim();
    if (text && !parts.includes(text)) parts.push(text);
  }
  const isVersion = (text: string) => /^OpenGL/.test(text);
  return [...parts.filter((p) => !isVersion(p)), ...parts.filter(isVersion)].join(', ') || 'unnamed adapter';
}

async function activateWebGpu(found: GpuFound): Promise<BackendInfo> {
  if (!activeGpu) {
    const { globals } = await import('webgpu');
    // GPUBufferUsage, GPUMapMode, ... as the backend expects them on the global object.
    Object.assign(globalThis, globals);
    const scope = globalThis as { navigator?: { gpu?: GPU } };
    if (scope.navigator) Object.defineProperty(scope.navigator, 'gpu', { value: found.gpu, configurable: true, writable: true });
    else scope.navigator = { gpu: found.gpu };
    activeGpu = found;
    // The backend registers itself on import only if navigator.gpu is there.
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!tf.findBackendFactory('webgpu')) {
    throw new BackendUnavailableError(
      'the TF.js WebGPU backend was loaded before navigator.gpu was set, so it did not register; load it only through initNodeBackend',
    );
  }
  await activate('webgpu');
  const info: BackendInfo = { name: 'webgpu', adapter: activeGpu.adapter, api: activeGpu.api, software: activeGpu.software };
  return info;
}

// ---------------------------------------------------------------- helpers

async function activate(name: NodeBackendName): Promise<void> {
  // setBackend answers false (and TF.js warns) when the backend fails to start.
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new BackendUnavailableError(`the ${name} backend failed to start`);
  await tf.ready();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** Whether a shared library is in one of the usual places (or LD_LIBRARY_PATH). */
function findLibrary(file: string): boolean {
  if (process.platform !== 'linux') return true;
  const triplet = MULTIARCH[process.arch];
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...(triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`, `/usr/local/lib/${triplet}`] : []),
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
  return dirs.some((dir) => existsSync(join(dir, file)));
}

/** Whether the Vulkan loader would find a driver manifest (ICD). */
function hasVulkanDriver(): boolean {
  if (process.platform !== 'linux') return true;
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || process.env.VK_ADD_DRIVER_FILES) return true;
  const dataDirs = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configDirs = (process.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const home = process.env.HOME;
  const roots = [...configDirs, '/etc', ...dataDirs, '/usr/local/share', '/usr/share', ...(home ? [join(home, '.local/share')] : [])];
  return roots.some((root) => {
    try {
      return readdirSync(join(root, 'vulkan', 'icd.d')).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/** Whether a GPU render node exists (what Mesa's hardware drivers open). */
function hasRenderNode(): boolean {
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}
