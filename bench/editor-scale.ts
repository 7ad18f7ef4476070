/**
 * The editor at scale, in Debian's chromium (headless, software drawing):
 * for graphs of 100, 300 and 1,000 nodes, the time from opening the file to
 * the graph drawn, the longest main-thread task meanwhile, frames while
 * dragging a node and while panning (frames per second and the longest
 * frame), and the time of an undo. A benchmark, not a test: the numbers
 * depend on the machine; docs/performance.md records them.
 *
 * Run: npx tsx bench/editor-scale.ts [SIZES...]   (default 100 300 1000)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { LATEST_VERSION } from '../src/core/graph/schema.ts';
import { openBrowser, startApp } from '../tests/e2e/harness.ts';

/** A Data node and a chain of Dense layers laid out in rows of 20, as a big hand-built graph would be. */
export function chainDocument(nodes: number): object {
  const perRow = 20;
  const at = (i: number) => ({ x: (i % perRow) * 260, y: Math.floor(i / perRow) * 220 });
  const graphNodes: object[] = [{ id: 'data', kind: 'Data', params: { dataset: 'mnist', layout: 'flat', range: 'unit' }, position: at(0) }];
  const edges: object[] = [];
  for (let i = 1; i < nodes; i++) {
    graphNodes.push({ id: `dense${i}`, kind: 'Dense', params: { units: 32, activation: 'relu' }, position: at(i) });
    edges.push({ id: `e${i}`, source: { node: i === 1 ? 'data' : `dense${i - 1}`, port: i === 1 ? 'x' : 'y' }, target: { node: `dense${i}`, port: 'x' } });
  }
  return { format: 'gencomposer.graph', version: LATEST_VERSION, meta: { name: `Chain of ${nodes}` }, nodes: graphNodes, edges };
}

interface Frames {
  fps: number;
  longestMs: number;
}

/** Starts counting animation frames in the page. */
async function startFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framesOn: boolean };
    w.__frames = [];
    w.__framesOn = true;
    const tick = (t: number) => {
      w.__frames.push(t);
      if (w.__framesOn) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function stopFrames(page: Page): Promise<Frames> {
  const times = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framesOn: boolean };
    w.__framesOn = false;
    return w.__frames;
  });
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const span = times[times.length - 1]! - times[0]!;
  return { fps: (gaps.length / span) * 1000, longestMs: Math.max(...gaps) };
}

/** Moves the mouse from (x, y) by (dx, dy) with the button down, in `steps` moves, a frame apart. */
async function drag(page: Page, x: number, y: number, dx: number, dy: number, steps: number): Promise<void> {
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(x + (dx * i) / steps, y + (dy * i) / steps);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  }
  await page.mouse.up();
}

const nextFrames = (page: Page) => page.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));

async function measure(page: Page, nodes: number, dir: string) {
  const file = join(dir, `chain-${nodes}.json`);
  await writeFile(file, JSON.stringify(chainDocument(nodes)));
  await page.evaluate(() => {
    const w = window as unknown as { __longest: number };
    w.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
    }).observe({ type: 'longtask' });
  });
  const start = await page.evaluate(() => performance.now());
  await page.getByTestId('share-file-input').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length >= Math.min(n, 1) && document.querySelector('[data-testid="node-dense' + (n - 1) + '"]') !== null, nodes, { timeout: 300_000 });
  const drawn = (await nextFrames(page)) - start;
  const openLongest = await page.evaluate(() => (window as unknown as { __longest: number }).__longest);

  // Drag the first Dense node on screen.
  const target = page.locator('.react-flow__node').nth(1);
  const box = (await target.boundingBox())!;
  await startFrames(page);
  await drag(page, box.x + box.width / 2, box.y + 12, 140, 60, 30);
  const dragFrames = await stopFrames(page);

  const undoStart = await page.evaluate(() => performance.now());
  await page.keyboard.press('Control+z');
  const undoMs = (await nextFrames(page)) - undoStart;

  // Pan over the pane below the nodes' rows (an empty spot of the canvas).
  const canvas = (await page.getByTestId('canvas').boundingBox())!;
  await startFrames(page);
  await drag(page, canvas.x + canvas.width * 0.5, canvas.y + canvas.height - 30, -200, -80, 30);
  const panFrames = await stopFrames(page);
  return { nodes, drawnMs: drawn, openLongestMs: openLongest, drag: dragFrames, undoMs, pan: panFrames };
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 1);
const app = await startApp();
const browser = await openBrowser();
const dir = await mkdtemp(join(tmpdir(), 'gencomposer-scale-'));
try {
  const page = browser.page;
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
  });
  // tsx compiles this file keeping function names (a call to __name), which the page must have for the functions sent to it.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(app.url);
  await page.getByTestId('gallery').waitFor();
  console.log('| nodes | drawn (ms) | longest task while opening (ms) | drag fps | drag longest frame (ms) | pan fps | pan longest frame (ms) | undo (ms) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const nodes of sizes.length > 0 ? sizes : [100, 300, 1000]) {
    const r = await measure(page, nodes, dir);
    const f = (x: number) => x.toFixed(0);
    console.log(`| ${r.nodes} | ${f(r.drawnMs)} | ${f(r.openLongestMs)} | ${f(r.drag.fps)} | ${f(r.drag.longestMs)} | ${f(r.pan.fps)} | ${f(r.pan.longestMs)} | ${f(r.undoMs)} |`);
  }
  const flow = warnings.filter((w) => w.includes('React Flow'));
  if (flow.length > 0) console.log(`React Flow warnings: ${flow.length}, e.g. ${flow[0]}`);
} finally {
  await browser.close();
  await app.close();
  await rm(dir, { recursive: true, force: true });
}
