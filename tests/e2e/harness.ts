/**
 * End-to-end tests drive the real app in Debian's chromium through
 * playwright-core: the vite dev server runs in this process on a free port,
 * and each browser gets a fresh profile.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = resolve('test-results/screenshots');

/** Whether the e2e tests can run here; in CI a missing browser is a failure, not a skip. */
export const canRunBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** WebGPU in headless chromium with no GPU: SwiftShader's Vulkan (see DESIGN.md, "WebGPU on a machine with no GPU"). */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'];

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts the app's vite dev server on 127.0.0.1 and a free port. */
export async function startApp(): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await freePort();
  const cacheDir = await mkdtemp(join(tmpdir(), 'gencomposer-vite-'));
  const server = await createServer({
    configFile: resolve('vite.config.ts'),
    root: resolve('.'),
    logLevel: 'warn',
    clearScreen: false,
    // Its own dependency cache: test files run in parallel, and a dev server may run beside them.
    cacheDir,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await server.close();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** A headless chromium with a fresh profile, and one page in it; `webgpu` turns on WebGPU through SwiftShader. */
export async function openBrowser(options: { webgpu?: boolean } = {}): Promise<{ page: Page; context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'gencomposer-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: options.webgpu ? [...CHROMIUM_FLAGS, ...WEBGPU_FLAGS] : CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 860 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Errors in the page fail loudly in the test output.
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  // React Flow's warnings (an edge drawn to a handle not there, a node type missing) are bugs of the canvas: any
  // of them fails the file when its browser closes.
  const reactFlowWarnings: string[] = [];
  context.on('console', (message) => {
    if (message.text().includes('[React Flow]')) reactFlowWarnings.push(message.text());
  });
  return {
    page,
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      if (reactFlowWarnings.length > 0) throw new Error(`React Flow warned ${reactFlowWarnings.length} times, first: ${reactFlowWarnings[0]}`);
    },
  };
}

/** Saves a screenshot to test-results/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // Animations finished: a notice fading in would look half transparent.
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}
