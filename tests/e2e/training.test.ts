/**
 * Training in a real browser: chromium with WebGPU through SwiftShader, the
 * app's worker, IndexedDB checkpoints. The VAE trains 30 steps while the
 * canvas is panned (and main-thread long tasks are measured), pauses and
 * resumes, survives a reload; the flow trains and draws its scatter, and
 * falls back to the next backend when its GPU device is lost; the VAE
 * trains on WASM when the panel asks for it; a loss that turns NaN stops
 * the run with GC206 and leaves the graph alone; downloaded weights load
 * into a fresh browser and sample, and another graph's weights are refused;
 * a GAN shows D(real) and D(fake) beside its D and G losses.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunBrowser, openBrowser, screenshot, startApp } from './harness.ts';

interface Hooks {
  loadPreset(name: string): boolean;
  trainingSettings(settings: Record<string, unknown>): void;
  training(): { state: { status: string; step?: number }; losses: { steps: number[] }; backend?: { backend: string; adapter?: string } };
  loseDevice(): void;
}

/** Settings small enough for a 2-core machine: small batches, few and small previews. */
// softwareGpu: this browser's WebGPU is SwiftShader, which Auto would pass by for WASM; these tests train on it on purpose.
const QUICK = { batchSize: 32, logEvery: 5, previewSeconds: 2, previewCount: 16, checkpointEvery: 10, evalEvery: 0, softwareGpu: true };

/** Runs `f` in the page with the app's dev hooks. */
const hooks = <T>(page: Page, f: (h: Hooks) => T) =>
  page.evaluate((source) => new Function('h', `return (${source})(h);`)((window as unknown as { __gencomposer: Hooks }).__gencomposer), f.toString()) as Promise<T>;
const settings = (page: Page, s: Record<string, unknown>) => page.evaluate((v) => (window as unknown as { __gencomposer: Hooks }).__gencomposer.trainingSettings(v), s);
const status = (page: Page) => page.getByTestId('train-status').getAttribute('data-status');
const step = async (page: Page) => Number(await page.getByTestId('train-status').getAttribute('data-step'));

/** The graph on screen, as JSON: what training must never change. */
const documentJson = (page: Page) => hooks(page, (h) => JSON.stringify((h as unknown as { editor(): { document: unknown } }).editor().document));

/** Opens the training panel (when it is closed) and picks the backend of the next run. */
async function chooseBackend(page: Page, backend: 'auto' | 'webgpu' | 'webgl' | 'wasm'): Promise<void> {
  if ((await page.getByTestId('training-panel').count()) === 0) await page.getByTestId('toolbar-training').click();
  await page.getByTestId('train-backend-choice').selectOption(backend);
}

/** The previews of `n` steps have arrived (they follow the state by a moment). */
async function waitForPreviewsAt(page: Page, n: number): Promise<void> {
  await page.waitForSelector(`[data-testid="train-previews"][data-step="${n}"]`, { timeout: 120_000 });
}

/** Fits the graph in view (the panning moved it) for a screenshot. */
async function fit(page: Page): Promise<void> {
  await page.getByTestId('toolbar-fit').click();
  await page.waitForTimeout(600);
}

async function waitForStatus(page: Page, wanted: string, timeout = 240_000): Promise<void> {
  await page.waitForSelector(`[data-testid="train-status"][data-status="${wanted}"]`, { timeout });
}

/** Distinct grey levels and the spread of a canvas's pixels: a blank canvas has one level. */
async function canvasStats(page: Page, testId: string): Promise<{ width: number; height: number; levels: number; std: number }> {
  return page.getByTestId(testId).evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const levels = new Set<number>();
    let sum = 0;
    let sq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const v = (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
      levels.add(Math.round(v));
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    return { width: canvas.width, height: canvas.height, levels: levels.size, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
  });
}

/** A digest of a canvas's pixels, to tell two pictures apart. */
function canvasDigest(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 2166136261;
    for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ data[i]!, 16777619) >>> 0;
    return `${canvas.width}x${canvas.height}:${hash.toString(16)}`;
  });
}

/** Drags the empty canvas back and forth, as a person panning while it trains. */
async function panCanvas(page: Page, times: number): Promise<void> {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const x = box.x + box.width * 0.5;
  const y = box.y + box.height * 0.9;
  for (let i = 0; i < times; i++) {
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + (i % 2 ? -60 : 60), y - 20, { steps: 6 });
    await page.mouse.up();
  }
}

describe.skipIf(!canRunBrowser)('training in the browser', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;

  beforeAll(async () => {
    app = await startApp();
    browser = await openBrowser({ webgpu: true });
    page = browser.page;
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`[console] ${m.text()}`);
    });
    await page.goto(app.url);
    await page.getByTestId('gallery').waitFor();
    await hooks(page, (h) => h.loadPreset('vae'));
    await page.getByTestId('node-encoder').waitFor();
    await page.getByTestId('gallery').waitFor({ state: 'detached' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('trains the VAE 30 steps on WebGPU: the chart has points, the sample grid renders, the canvas stays responsive', async () => {
    await settings(page, { ...QUICK, totalSteps: 30 });
    await page.evaluate(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.__longTasks.push(entry.duration);
      }).observe({ type: 'longtask' });
    });
    const started = Date.now();
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-backend').waitFor({ timeout: 120_000 });
    const backend = await page.getByTestId('train-backend').textContent();
    console.log(`[training] backend: ${backend}`);
    expect(await page.getByTestId('train-backend').getAttribute('data-backend')).toBe('webgpu');
    // Pan the canvas while it trains.
    while ((await status(page)) !== 'done') {
      if (Date.now() - started > 240_000) throw new Error(`the VAE did not finish 30 steps in 240 s (status ${await status(page)})`);
      await panCanvas(page, 2);
      await page.waitForTimeout(150);
    }
    console.log(`[training] VAE 30 steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await step(page)).toBe(30);
    expect(Number(await page.getByTestId('chart-losses').getAttribute('data-points'))).toBe(6);
    expect(await page.getByTestId('chart-losses').locator('canvas').count()).toBeGreaterThan(0);
    await waitForPreviewsAt(page, 30);
    const grid = await canvasStats(page, 'preview-grid-sampler');
    expect(grid.width).toBeGreaterThan(100);
    expect(grid.levels).toBeGreaterThan(20);
    expect(grid.std).toBeGreaterThan(5);
    await page.getByTestId('preview-interpolation-sampler').waitFor();
    expect(await page.getByTestId('train-checkpoint').textContent()).toContain('step 30');
    await fit(page);
    await screenshot(page, 'training-vae-30-steps');
    // The panel takes the inspector's place: the canvas keeps at least half the window, and the tabs switch back.
    expect((await page.getByTestId('canvas').boundingBox())!.width).toBeGreaterThanOrEqual(1400 / 2);
    expect(await page.getByTestId('inspector').isVisible()).toBe(false);
    await page.getByTestId('dock-tab-inspector').click();
    await page.getByTestId('training-panel').waitFor({ state: 'detached' });
    expect(await page.getByTestId('inspector').isVisible()).toBe(true);
    await page.getByTestId('dock-tab-training').click();
    await page.getByTestId('training-panel').waitFor();

    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    const max = longTasks.length ? Math.max(...longTasks) : 0;
    console.log(`[training] main-thread long tasks during training: ${longTasks.length}, longest ${max.toFixed(0)} ms${longTasks.length ? ` (${longTasks.map((d) => d.toFixed(0)).join(', ')} ms)` : ''}`);
    expect(max).toBeLessThan(200);
  }, 300_000);

  it('pauses and resumes', async () => {
    await settings(page, { ...QUICK, totalSteps: 60, logEvery: 2 });
    await page.getByTestId('train-resume-checkpoint').click();
    await waitForStatus(page, 'running');
    await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThan(34);
    await page.getByTestId('train-pause').click();
    await waitForStatus(page, 'paused');
    const pausedAt = await step(page);
    await page.waitForTimeout(1500);
    expect(await step(page)).toBe(pausedAt);
    expect(await page.getByTestId('train-checkpoint').textContent()).toContain(`step ${pausedAt}`);
    await screenshot(page, 'training-vae-paused');
    await page.getByTestId('train-resume').click();
    await waitForStatus(page, 'done');
    expect(await step(page)).toBe(60);
    // The worker saves the last checkpoint just after it reports 'done'; the next test reloads the page, which ends the
    // worker (on a cross-origin isolated page at once), so wait until the save is reported.
    await expect.poll(() => page.getByTestId('train-checkpoint').textContent(), { timeout: 20_000 }).toContain('step 60');
  }, 300_000);

  it('resumes from the checkpoint after a reload', async () => {
    await page.reload();
    await page.getByTestId('node-encoder').waitFor();
    const resume = page.getByTestId('train-resume-checkpoint');
    await expect.poll(() => resume.textContent(), { timeout: 20_000 }).toBe('Resume from step 60');
    await settings(page, { ...QUICK, totalSteps: 70 });
    await resume.click();
    await waitForStatus(page, 'done');
    expect(await step(page)).toBe(70);
    await waitForPreviewsAt(page, 70);
    const steps = await hooks(page, (h) => h.training().losses.steps);
    expect(steps).toEqual([65, 70]);
    await screenshot(page, 'training-vae-resumed-after-reload');
  }, 300_000);

  it('trains the flow preset and draws its scatter of data against samples', async () => {
    await hooks(page, (h) => h.loadPreset('flow'));
    await page.getByTestId('node-data').waitFor();
    await settings(page, { ...QUICK, batchSize: 64, totalSteps: 30, previewSeconds: 10 });
    const started = Date.now();
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'done');
    console.log(`[training] flow 30 steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await waitForPreviewsAt(page, 30);
    const scatter = await canvasStats(page, 'preview-scatter-sampler');
    expect(scatter.levels).toBeGreaterThan(3);
    expect(Number(await page.getByTestId('chart-losses').getAttribute('data-points'))).toBe(6);
    await screenshot(page, 'training-flow-scatter');
  }, 300_000);

  it('answers Stop at once with “Stopping…”, and stops after the step it is in', async () => {
    // A report after every step, so the step shown at the press is at most one behind the worker's.
    await settings(page, { ...QUICK, batchSize: 64, totalSteps: 2000, logEvery: 1, previewSeconds: 600, checkpointEvery: 1000 });
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'running');
    await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThan(3);
    await page.getByTestId('train-stop').click();
    const shownAt = await step(page);
    expect(await page.getByTestId('train-stop').textContent()).toBe('Stopping…');
    expect(await page.getByTestId('train-status').getAttribute('data-stopping')).toBe('true');
    await waitForStatus(page, 'stopped');
    const stoppedAt = await step(page);
    console.log(`[training] Stop pressed at step ${shownAt}, stopped at ${stoppedAt}`);
    // The step in flight, and the one the shown step lagged by (tests/train/loop.test.ts holds the loop itself to one
    // step however rarely it reports).
    expect(stoppedAt).toBeLessThanOrEqual(shownAt + 2);
    expect(await page.getByTestId('train-status').getAttribute('data-stopping')).toBeNull();
  }, 300_000);


  it('asks before the graph changes under a run, and moves to WebGL when the GPU device is lost', async () => {
    await settings(page, { ...QUICK, batchSize: 64, totalSteps: 400, logEvery: 2, checkpointEvery: 4 });
    await page.getByTestId('train-start').click();
    await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThan(4);
    // Refusing leaves the graph as it was.
    const nodes = async () => (await hooks(page, (h) => (h as unknown as { editor(): { document: { nodes: unknown[] } } }).editor().document.nodes.length));
    const before = await nodes();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByTestId('node-data').click();
    await page.keyboard.press('Delete');
    expect(await nodes()).toBe(before);
    expect(await status(page)).toBe('running');

    await hooks(page, (h) => h.loseDevice());
    await page.waitForSelector('[data-testid="train-backend"][data-backend="webgl"]', { timeout: 120_000 });
    expect(await page.getByTestId('train-fallback').textContent()).toContain('GPU device was lost');
    await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThan(12);
    expect(await status(page)).toBe('running');
    await screenshot(page, 'training-flow-after-device-loss');

    // Accepting stops the run (saving a checkpoint) and applies the change.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('node-data').click();
    await page.keyboard.press('Delete');
    await waitForStatus(page, 'stopped');
    expect(await nodes()).toBe(before - 1);
  }, 300_000);

  it('trains the VAE on WASM when the panel names that backend', async () => {
    await hooks(page, (h) => h.loadPreset('vae'));
    await page.getByTestId('node-encoder').waitFor();
    await chooseBackend(page, 'wasm');
    await settings(page, { ...QUICK, batchSize: 16, totalSteps: 10, logEvery: 2 });
    const started = Date.now();
    await page.getByTestId('train-start').click();
    await page.waitForSelector('[data-testid="train-backend"][data-backend="wasm"]', { timeout: 120_000 });
    // The dev server serves the page cross-origin isolated, so the badge names WASM's threads (isolation.test.ts checks the count).
    expect(await page.getByTestId('train-backend').textContent()).toMatch(/^WASM · \d+ threads?$/);
    await waitForStatus(page, 'done');
    console.log(`[training] VAE 10 steps on WASM in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await step(page)).toBe(10);
    expect(Number(await page.getByTestId('chart-losses').getAttribute('data-points'))).toBe(5);
    const losses = await hooks(page, (h) => (h.training() as unknown as { losses: { values: (number | null)[][] } }).losses.values[0]!);
    expect(losses.every((v) => v !== null && Number.isFinite(v))).toBe(true);
    await waitForPreviewsAt(page, 10);
    expect((await canvasStats(page, 'preview-grid-sampler')).levels).toBeGreaterThan(20);
    await screenshot(page, 'training-vae-wasm');
    await chooseBackend(page, 'auto');
  }, 300_000);

  it('on Auto passes the software GPU by for WASM, and says why', async () => {
    await hooks(page, (h) => h.loadPreset('vae'));
    await page.getByTestId('node-encoder').waitFor();
    await settings(page, { ...QUICK, softwareGpu: false, batchSize: 16, totalSteps: 4, logEvery: 2 });
    await page.getByTestId('train-start').click();
    await page.waitForSelector('[data-testid="train-backend"][data-backend="wasm"]', { timeout: 120_000 });
    const why = await page.getByTestId('train-fallback').textContent();
    console.log(`[training] ${why}`);
    expect(why).toMatch(/webgpu: .*software.*slower than WASM here/);
    await waitForStatus(page, 'done');
  }, 300_000);

  it('stops with GC206 naming the objective when the loss turns NaN, and leaves the graph as it was', async () => {
    await hooks(page, (h) => h.loadPreset('vae'));
    await page.getByTestId('node-encoder').waitFor();
    // A learning rate of 10 (the most the document allows) blows Adam's first steps up. It is set in the
    // inspector, which shares the dock with the training panel.
    if ((await page.getByTestId('training-panel').count()) > 0) await page.getByTestId('dock-tab-inspector').click();
    await page.getByTestId('objective-elbo-learningRate').fill('10');
    await page.getByTestId('objective-elbo-learningRate').press('Enter');
    const before = await documentJson(page);
    expect(JSON.parse(before).training.objectives[0].optimizer.learningRate).toBe(10);
    await chooseBackend(page, 'wasm');
    await settings(page, { ...QUICK, batchSize: 16, totalSteps: 40, logEvery: 1 });
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'failed', 120_000);
    const error = page.getByTestId('train-error');
    expect(await error.textContent()).toMatch(/^GC206 Training stopped at step \d+: the loss of objective "elbo" became (NaN|Infinity|-Infinity)\. Try a lower learning rate/);
    expect(await page.getByTestId('train-status').textContent()).toContain('Stopped by an error');
    expect(await documentJson(page)).toBe(before);
    await screenshot(page, 'training-vae-nan');
    // The button goes to one of the objective's loss nodes.
    const show = error.getByRole('button');
    const lossNode = (await show.textContent())!.replace(/^Show /, '');
    expect(['reconstruction', 'kl']).toContain(lossNode);
    await show.click();
    await expect.poll(() => hooks(page, (h) => (h as unknown as { editor(): { selection: string[] } }).editor().selection)).toEqual([lossNode]);
    expect(await documentJson(page)).toBe(before);
    await chooseBackend(page, 'auto');
  }, 300_000);

  it('downloads the weights, loads them into a fresh browser and samples; another graph refuses them', async () => {
    await hooks(page, (h) => h.loadPreset('vae'));
    await page.getByTestId('node-encoder').waitFor();
    await chooseBackend(page, 'wasm');
    await settings(page, { ...QUICK, batchSize: 16, totalSteps: 6, logEvery: 2 });
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'done');
    await waitForPreviewsAt(page, 6);
    // Previews decode fixed noise: the same weights on the same backend draw the same picture.
    const trainedGrid = await canvasDigest(page, 'preview-grid-sampler');
    const downloads: Download[] = [];
    const collect = (d: Download) => void downloads.push(d);
    page.on('download', collect);
    await page.getByTestId('train-download-weights').click();
    await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(2);
    page.off('download', collect);
    await chooseBackend(page, 'auto');
    const folder = await mkdtemp(join(tmpdir(), 'gencomposer-weights-'));
    const fresh = await openBrowser();
    try {
      const files = await Promise.all(
        downloads.map(async (d) => {
          const path = join(folder, d.suggestedFilename());
          await d.saveAs(path);
          return path;
        }),
      );
      expect(files.map((f) => f.slice(folder.length + 1)).sort()).toEqual(['mlp-vae-on-mnist.model.json', 'weights.bin']);

      // A fresh profile: no checkpoint in its IndexedDB, so whatever samples comes from the files.
      const other = fresh.page;
      other.setDefaultTimeout(20_000);
      await other.goto(app.url);
      await other.getByTestId('gallery').waitFor();
      await hooks(other, (h) => h.loadPreset('flow'));
      await other.getByTestId('node-data').waitFor();
      await chooseBackend(other, 'wasm');
      const flowBefore = await documentJson(other);
      await other.getByTestId('train-load-weights-input').setInputFiles(files);
      expect(await other.getByTestId('train-error').textContent()).toMatch(/^These weights cannot be loaded: the file has no weights for "[^"]+", "[^"]+", "[^"]+" and \d+ more: were they trained on another graph\?$/);
      expect(await documentJson(other)).toBe(flowBefore);
      expect(await other.getByTestId('train-checkpoint').textContent()).toBe('No checkpoint saved for this graph yet.');
      expect(await other.getByTestId('train-previews').count()).toBe(0);
      expect(await status(other)).toBe('idle');

      await hooks(other, (h) => h.loadPreset('vae'));
      await other.getByTestId('node-encoder').waitFor();
      await settings(other, { ...QUICK, batchSize: 16 });
      await other.getByTestId('train-load-weights-input').setInputFiles(files);
      await waitForPreviewsAt(other, 6);
      expect((await canvasStats(other, 'preview-grid-sampler')).levels).toBeGreaterThan(20);
      expect(await canvasDigest(other, 'preview-grid-sampler')).toBe(trainedGrid);
      await other.getByTestId('preview-interpolation-sampler').waitFor();
      expect(await other.getByTestId('train-checkpoint').textContent()).toContain('step 6');
      expect(await other.getByTestId('train-error').count()).toBe(0);
      await screenshot(other, 'training-vae-weights-loaded');
    } finally {
      await fresh.close();
      await rm(folder, { recursive: true, force: true });
    }
  }, 300_000);

  it("shows a GAN's D(real) and D(fake) beside its D and G losses", async () => {
    await hooks(page, (h) => h.loadPreset('gan-2d'));
    await page.getByTestId('node-d_loss').waitFor();
    await chooseBackend(page, 'wasm');
    await settings(page, { ...QUICK, batchSize: 64, totalSteps: 20, logEvery: 2, previewSteps: 10, previewSeconds: 3600 });
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'done');
    await waitForPreviewsAt(page, 20);
    expect(await page.getByTestId('train-discriminator').textContent()).toMatch(/^D\(real\) 0\.\d\d · D\(fake\) 0\.\d\d at step 20$/);
    const legend = await page.getByTestId('chart-balance').locator('.u-legend').textContent();
    for (const line of ['D', 'G', 'D(real)', 'D(fake)']) expect(legend).toContain(line);
    await screenshot(page, 'training-gan-balance');
    await chooseBackend(page, 'auto');
  }, 300_000);

  it('trains the character LSTM and lists names it writes one character at a time', async () => {
    await hooks(page, (h) => h.loadPreset('char-lstm'));
    await page.getByTestId('node-lstm').waitFor();
    // An unrolled LSTM step is some 1,400 small kernels: quick on wasm, slow on a software GPU.
    await chooseBackend(page, 'wasm');
    await settings(page, { ...QUICK, batchSize: 64, totalSteps: 20, previewSeconds: 3600, previewSteps: 20 });
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'done');
    await waitForPreviewsAt(page, 20);
    const names = await page.getByTestId('preview-text-sampler').locator('li').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => /^([a-z]*|∅)$/.test(name))).toBe(true);
    expect(names.some((name) => name.length > 0 && name !== '∅')).toBe(true);
    await screenshot(page, 'training-char-lstm');
    await chooseBackend(page, 'auto');
  }, 300_000);

  it('trains the PixelCNN and draws its binary digits pixel by pixel in the sample grid', async () => {
    await hooks(page, (h) => h.loadPreset('pixelcnn'));
    await page.getByTestId('node-conv_a').waitFor();
    // The preview runs the network once per pixel (784 runs): four digits, drawn once at the end.
    await chooseBackend(page, 'wasm');
    await settings(page, { ...QUICK, batchSize: 8, totalSteps: 6, logEvery: 2, previewCount: 4, previewSeconds: 3600, previewSteps: 6 });
    await page.getByTestId('train-start').click();
    await waitForStatus(page, 'done');
    expect(await step(page)).toBe(6);
    await waitForPreviewsAt(page, 6);
    // Pixels are 0 or 1: the grid holds black and white (and its frame), not the greys of probabilities.
    const grid = await canvasStats(page, 'preview-grid-sampler');
    expect(grid.width).toBeGreaterThan(0);
    expect(grid.levels).toBeGreaterThan(1);
    expect(grid.levels).toBeLessThan(8);
    await screenshot(page, 'training-pixelcnn');
    await chooseBackend(page, 'auto');
  }, 300_000);
});
