/**
 * Sharing in a real browser: the gallery opens every preset; a link, a JSON
 * file and a PNG picture each carry the graph and give it back identically;
 * a broken file dropped on the canvas changes nothing and says why; the
 * PyTorch and ONNX exports download zips of the project and the models; a
 * reload restores the autosaved graph.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadText } from '../../src/core/graph/load.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import { decodePng } from '../../src/core/graph/share.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { writeTorchModel } from '../../src/core/export/pytorch/model.ts';
import { unzipSync } from 'fflate';
import { canRunBrowser, openBrowser, screenshot, SCREENSHOTS, startApp } from './harness.ts';

type Browser = Awaited<ReturnType<typeof openBrowser>>;

const PRESET_IDS = readdirSync('graph-presets').filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

function presetText(id: string): string {
  const loaded = loadText(readFileSync(`graph-presets/${id}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`preset ${id} does not load`);
  return saveDocument(loaded.document);
}

const documentText = (page: Page) => page.evaluate(() => window.__gencomposer!.documentText!());

/** Waits until the app has started (restored or opened the gallery). */
async function ready(page: Page) {
  await page.waitForSelector('[data-testid=canvas]');
  await page.waitForFunction(() => typeof window.__gencomposer?.documentText === 'function');
}

async function openPresetFromGallery(page: Page, id: string) {
  if (!(await page.locator('[data-testid=gallery]').isVisible())) await page.click('[data-testid=toolbar-gallery]');
  await page.click(`[data-testid=gallery-card-${id}]`);
  await page.waitForSelector('[data-testid=gallery]', { state: 'detached' });
}

async function shareAction(page: Page, item: string) {
  await page.click('[data-testid=share-menu]');
  await page.click(`[data-testid=${item}]`);
}

async function download(page: Page, item: string): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), shareAction(page, item)]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: await readFile(path) };
}

const lastNotice = (page: Page) => page.locator('[data-testid=notice]').last();

describe.skipIf(!canRunBrowser)('sharing in the browser', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startApp();
    browser = await openBrowser();
    page = browser.page;
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url.replace(/\/$/, '') });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('opens the gallery on a first visit, and every preset from it without errors', async () => {
    await page.goto(app.url);
    await ready(page);
    await page.waitForSelector('[data-testid=gallery] img');
    // Thumbnails are pictures of the graphs, drawn before the screenshot.
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=gallery] img')].every((img) => img.complete && img.naturalWidth > 0));
    await screenshot(page, 'gallery-first-visit');
    for (const id of PRESET_IDS) {
      await openPresetFromGallery(page, id);
      expect(await documentText(page)).toBe(presetText(id));
      await expect.poll(() => page.locator('[data-testid=problems-errors]').textContent()).toBe('0 errors');
      const nodes = (JSON.parse(presetText(id)) as { nodes: unknown[] }).nodes.length;
      expect(await page.locator('.react-flow__node').count()).toBe(nodes);
      expect(await page.locator('[data-testid=notice][data-kind=error]').count()).toBe(0);
      await screenshot(page, `preset-${id}`);
    }
  }, 90_000);

  it('shares by link: a fresh browser opens the same graph', async () => {
    await openPresetFromGallery(page, 'gan');
    const expected = await documentText(page);
    await page.click('[data-testid=share-menu]');
    await screenshot(page, 'share-menu');
    await page.click('[data-testid=share-copy-link]');
    await expect.poll(() => lastNotice(page).textContent()).toMatch(/Link copied/);
    const url = page.url();
    expect(url).toMatch(/#graph=v1\.[A-Za-z0-9_-]+$/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await screenshot(page, 'link-copied');

    const other = await openBrowser();
    try {
      await other.page.goto(url);
      await ready(other.page);
      await expect.poll(() => documentText(other.page)).toBe(expected);
      // A linked graph opens straight away, not behind the gallery.
      expect(await other.page.locator('[data-testid=gallery]').count()).toBe(0);
      await screenshot(other.page, 'link-opened-in-fresh-browser');
    } finally {
      await other.close();
    }
  }, 60_000);

  it('keeps the graph and explains why when a broken file is dropped on the canvas', async () => {
    await openPresetFromGallery(page, 'vae');
    const before = await documentText(page);
    const broken = readFileSync('tests/fixtures/broken/gc006-schema-bad-position.json', 'utf8');
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'broken.json', { type: 'application/json' }));
      const target = document.querySelector('.react-flow__pane') ?? document.querySelector('[data-testid=canvas]')!;
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    }, broken);
    const notice = page.locator('[data-testid=notice][data-kind=error]').last();
    await expect.poll(() => notice.textContent()).toMatch(/Could not open “broken\.json”/);
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('nodes[0].position.x');
    expect(text).toContain('current graph is unchanged');
    expect(await documentText(page)).toBe(before);
    await screenshot(page, 'broken-file-dropped');
  }, 30_000);

  it('downloads JSON and opens it again', async () => {
    await openPresetFromGallery(page, 'transformer');
    const expected = await documentText(page);
    const { name, bytes } = await download(page, 'share-download-json');
    expect(name).toBe('character-transformer-on-names.json');
    expect(bytes.toString('utf8')).toBe(expected);
    await openPresetFromGallery(page, 'vae');
    await page.setInputFiles('[data-testid=share-file-input]', { name, mimeType: 'application/json', buffer: bytes });
    await expect.poll(() => documentText(page)).toBe(expected);
    await expect.poll(() => lastNotice(page).textContent()).toMatch(/Opened “Character Transformer on names” from “character-transformer-on-names\.json”/);
  }, 30_000);

  it('downloads a PNG picture of the graph that opens as the same graph', async () => {
    for (const id of ['vae', 'diffusion']) {
      await openPresetFromGallery(page, id);
      const expected = await documentText(page);
      const { name, bytes } = await download(page, 'share-download-png');
      expect(name).toMatch(/\.png$/);
      // The picture itself carries the graph (checked outside the browser too).
      const decoded = decodePng(new Uint8Array(bytes));
      expect(decoded.ok && saveDocument(decoded.document)).toBe(expected);
      await mkdir(SCREENSHOTS, { recursive: true });
      await writeFile(`${SCREENSHOTS}/downloaded-${id}.png`, bytes);
      await openPresetFromGallery(page, 'gan');
      await page.setInputFiles('[data-testid=share-file-input]', { name, mimeType: 'image/png', buffer: bytes });
      await expect.poll(() => documentText(page)).toBe(expected);
    }
  }, 60_000);

  it('exports the graph as a PyTorch project (model.py, train.py, the gencomposer package, the weights, the data) and as ONNX models', async () => {
    await openPresetFromGallery(page, 'vae');
    const { name, bytes } = await download(page, 'share-export-pytorch');
    expect(name).toBe('mlp-vae-on-mnist-pytorch.zip');
    const files = unzipSync(new Uint8Array(bytes));
    const paths = Object.keys(files);
    for (const f of ['model.py', 'train.py', 'README.md', 'requirements.txt', 'weights.safetensors', 'data/mnist.bin', 'gencomposer/__init__.py']) expect(paths, f).toContain(`mlp-vae-on-mnist/${f}`);
    const vae = loadText(presetText('vae'));
    const compiled = vae.ok ? compile(vae.document) : undefined;
    const model = compiled?.ok ? writeTorchModel(compiled.program) : undefined;
    expect(new TextDecoder().decode(files['mlp-vae-on-mnist/model.py'])).toBe(model?.ok ? model.model.source : 'the preset compiles');
    await expect.poll(() => lastNotice(page).textContent()).toMatch(/Exported mlp-vae-on-mnist-pytorch\.zip \(\d+ files\): weights\.safetensors holds the initial weights of seed 0\./);

    const onnx = await download(page, 'share-export-onnx');
    expect(onnx.name).toBe('mlp-vae-on-mnist-onnx.zip');
    const models = unzipSync(new Uint8Array(onnx.bytes));
    const manifest = JSON.parse(new TextDecoder().decode(models['mlp-vae-on-mnist-onnx/onnx.json'])) as { batch: number; files: { file: string }[] };
    expect(manifest.batch).toBe(1);
    expect(manifest.files.length).toBeGreaterThan(0);
    for (const f of manifest.files) expect(models[`mlp-vae-on-mnist-onnx/${f.file}`]?.length ?? 0, f.file).toBeGreaterThan(1000);
    expect(await page.locator('[data-testid=notice][data-kind=error]').count()).toBe(0);
  }, 45_000);

  it('restores the autosaved graph after a reload', async () => {
    await openPresetFromGallery(page, 'flow');
    // An edit through the store, as the canvas would make it.
    await page.evaluate(() => {
      const editor = (window.__gencomposer!.editor as () => { edit: (recipe: (doc: { meta: { name: string } }) => void) => void })();
      editor.edit((doc) => {
        doc.meta.name = 'RealNVP, edited';
      });
    });
    const expected = await documentText(page);
    expect(expected).toContain('RealNVP, edited');
    // The autosave waits for a pause in editing.
    await page.waitForTimeout(1200);
    await page.goto(app.url);
    await ready(page);
    await expect.poll(() => documentText(page)).toBe(expected);
    expect(await page.locator('[data-testid=gallery]').count()).toBe(0);
    await screenshot(page, 'reload-restored');
  }, 30_000);
});
