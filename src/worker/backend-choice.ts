/**
 * Which backend trains: the first in the order that starts, and why the
 * ones before it did not. Pure over a `start` function, so the order and
 * the fallback are tested without a browser.
 */
import { BROWSER_BACKENDS, type BackendChoiceSetting, type BrowserBackend } from './protocol.ts';
import { threadsText } from './wasm-threads.ts';

export interface BackendChoice {
  backend: BrowserBackend;
  /** WebGPU: the adapter's name, e.g. "google swiftshader" or "nvidia ...". */
  adapter?: string;
  /** Why earlier backends in the order were not used; absent when the first one runs. */
  fallbackReason?: string;
  /** WASM: the threads it runs on. */
  threads?: number;
  /** WASM: why it runs on fewer threads than the machine has cores (e.g. the page is not cross-origin isolated). */
  threadsLimit?: string;
}

/** What a started backend tells about itself. */
export type StartedBackend = Pick<BackendChoice, 'adapter' | 'threads' | 'threadsLimit'>;

/**
 * Starts a backend and makes it active, or throws with the reason it cannot
 * run. With `refuseSoftware` a GPU backend that would draw on a software
 * renderer throws instead of starting.
 */
export type StartBackend = (name: BrowserBackend, options?: { refuseSoftware?: boolean }) => Promise<StartedBackend>;

/** Renderers that compute on the CPU, by the names browsers and drivers give them. */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|lavapipe|softpipe|software rasterizer|basic render driver/i;

/** Why a GPU adapter or renderer is a software one (a fallback adapter, or a CPU renderer by its name), or undefined for a real GPU. */
export function softwareRenderer(name: string | undefined, isFallbackAdapter = false): string | undefined {
  if (name && SOFTWARE_RENDERERS.test(name)) return `${name} renders in software`;
  if (isFallbackAdapter) return `${name ? `${name} is ` : 'the adapter is '}a software fallback`;
  return undefined;
}

export class NoBackendError extends Error {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts the first backend of `order` that runs. A GPU backend on a software
 * renderer is passed by while a backend is left to try (WASM is several
 * times faster there), unless `softwareGpu` allows it.
 */
export async function chooseBackend(order: readonly BrowserBackend[], start: StartBackend, earlierReason?: string, options: { softwareGpu?: boolean } = {}): Promise<BackendChoice> {
  const reasons: string[] = earlierReason ? [earlierReason] : [];
  for (const [index, name] of order.entries()) {
    try {
      const { adapter, threads, threadsLimit } = await start(name, { refuseSoftware: !options.softwareGpu && index < order.length - 1 });
      return {
        backend: name,
        ...(adapter ? { adapter } : {}),
        ...(threads ? { threads } : {}),
        ...(threadsLimit ? { threadsLimit } : {}),
        ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}),
      };
    } catch (error) {
      reasons.push(`${name}: ${messageOf(error)}`);
    }
  }
  throw new NoBackendError(`no backend could start (${reasons.join('; ')})`);
}

/** The backends a run may use, in the order they are tried. */
export function backendOrder(choice: BackendChoiceSetting): BrowserBackend[] {
  return choice === 'auto' ? [...BROWSER_BACKENDS] : [choice];
}

/** The backends still to try after `current` fails (its device lost): the rest of the order. */
export function backendsAfter(order: readonly BrowserBackend[], current: BrowserBackend): BrowserBackend[] {
  const index = order.indexOf(current);
  return index < 0 ? [...order] : order.slice(index + 1);
}

/** What a WebGPU adapter calls itself: its description, else vendor and architecture. */
export function adapterName(info: { vendor?: string; architecture?: string; device?: string; description?: string } | undefined): string | undefined {
  if (!info) return undefined;
  const description = info.description?.trim();
  if (description) return description;
  const parts = [info.vendor, info.architecture, info.device].map((p) => p?.trim()).filter((p): p is string => !!p);
  return parts.length ? parts.join(' ') : undefined;
}

/** The backend as the toolbar names it. */
export const BACKEND_LABELS: Record<BrowserBackend, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM' };

/** The toolbar badge's text: the backend, then the WebGPU adapter or WASM's threads, e.g. "WASM · 2 threads". */
export function backendBadgeText(choice: Pick<BackendChoice, 'backend' | 'adapter' | 'threads'>): string {
  const parts = [BACKEND_LABELS[choice.backend]];
  if (choice.adapter) parts.push(choice.adapter);
  if (choice.threads) parts.push(threadsText(choice.threads));
  return parts.join(' · ');
}

/** The choices as the training panel offers them. */
export const BACKEND_CHOICE_LABELS: Record<BackendChoiceSetting, string> = { auto: 'Auto (WebGPU → WebGL → WASM)', ...BACKEND_LABELS };
