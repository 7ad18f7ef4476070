import { readdirSync, readFileSync } from 'node:fs';
/**
 * The editor in a real browser: open the VAE, change a param and watch the
 * shapes follow, add and wire a node, see a refused connection's reason,
 * undo and redo, copy and paste, lay out, group into a module and open it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunBrowser, openBrowser, screenshot, startApp } from './harness.ts';

interface Doc {
  nodes: { id: string; kind: string; position: { x: number; y: number }; collapsed?: boolean }[];
  edges: { id: string; source: { node: string; port: string }; target: { node: string; port: string } }[];
  modules: { id: string; nodes: { id: string }[] }[];
  frames?: { id: string; title: string; color: string; position: { x: number; y: number }; size: { width: number; height: number } }[];
}

/** Waits for a value as the page settles; generous, since the machine may be busy. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 8_000 });

const doc = (page: Page) => page.evaluate(() => JSON.parse((window as unknown as { __gencomposer: { documentText(): string } }).__gencomposer.documentText()) as Doc);
const shape = (page: Page, node: string, side: 'in' | 'out', port: string) => page.getByTestId(`shape-${node}-${side}-${port}`);

async function centre(page: Page, testId: string): Promise<{ x: number; y: number }> {
  const box = await page.getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags from one port to another with the mouse, as a person would. */
async function dragPort(page: Page, from: string, to: string): Promise<void> {
  const a = await centre(page, from);
  const b = await centre(page, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
}

/** Clicks an empty spot of the canvas (clears the selection, moves focus off the inspector). */
async function clickCanvas(page: Page, fx = 0.06, fy = 0.12): Promise<void> {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
}

describe.skipIf(!canRunBrowser)('the canvas editor', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;

  beforeAll(async () => {
    app = await startApp();
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(10_000);
    await page.goto(app.url);
    // First visit: nothing autosaved or linked, so the gallery opens.
    await page.getByTestId('gallery').waitFor();
    await page.evaluate(() => (window as unknown as { __gencomposer: { loadPreset(n: string): boolean } }).__gencomposer.loadPreset('vae'));
    await page.getByTestId('node-encoder').waitFor();
    await page.getByTestId('gallery').waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the VAE with typed ports and inferred shapes', async () => {
    await poll(() => shape(page, 'encoder', 'out', 'mu').textContent()).toBe('[B, 20]');
    expect(await shape(page, 'data', 'out', 'x').textContent()).toBe('[B, 784]');
    expect(await page.getByTestId('problems-errors').textContent()).toBe('0 errors');
    await screenshot(page, 'canvas-vae');
  });

  it("changes the Encoder's latent size in the inspector and the downstream shapes follow", async () => {
    await page.getByTestId('node-encoder').click();
    await page.getByTestId('param-latent').fill('8');
    await poll(() => shape(page, 'encoder', 'out', 'mu').textContent()).toBe('[B, 8]');
    expect(await shape(page, 'reparameterize', 'in', 'mu').textContent()).toBe('[B, 8]');
    expect(await shape(page, 'reparameterize', 'out', 'z').textContent()).toBe('[B, 8]');
    expect(await shape(page, 'decoder', 'in', 'z').textContent()).toBe('[B, 8]');
    expect(await shape(page, 'kl', 'in', 'logvar').textContent()).toBe('[B, 8]');
    // An out-of-range value is refused in the field and changes nothing.
    await page.getByTestId('param-latent').fill('0');
    await poll(() => page.locator('.field-error').first().textContent()).toMatch(/least 1/);
    expect(await shape(page, 'encoder', 'out', 'mu').textContent()).toBe('[B, 8]');
    await page.getByTestId('param-latent').press('Enter');
    expect(await page.getByTestId('param-latent').inputValue()).toBe('8');
    await screenshot(page, 'canvas-latent');
  });

  it('adds a Dense from the palette and wires it', async () => {
    const box = (await page.getByTestId('canvas').boundingBox())!;
    await page.getByTestId('palette-item-Dense').dragTo(page.getByTestId('canvas'), { targetPosition: { x: box.width * 0.3, y: box.height * 0.78 } });
    await page.getByTestId('node-dense').waitFor();
    expect(await shape(page, 'dense', 'out', 'y').textContent()).toBe('—');
    await dragPort(page, 'port-decoder-out-x', 'port-dense-in-x');
    await poll(() => shape(page, 'dense', 'out', 'y').textContent()).toBe('[B, 128]');
    const edges = (await doc(page)).edges.filter((e) => e.target.node === 'dense');
    expect(edges.map((e) => `${e.source.node}.${e.source.port}`)).toEqual(['decoder.x']);
  });

  it('says plainly which wire a new one into an occupied input replaced', async () => {
    // dense.x holds decoder.x; mu is [B, 20] where x was [B, 784]: a Dense takes either.
    await dragPort(page, 'port-encoder-out-mu', 'port-dense-in-x');
    await page.getByTestId('notice').filter({ hasText: 'Replaced the wire decoder.x → dense.x' }).waitFor();
    expect((await doc(page)).edges.filter((e) => e.target.node === 'dense').map((e) => `${e.source.node}.${e.source.port}`)).toEqual(['encoder.mu']);
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).edges.filter((e) => e.target.node === 'dense').map((e) => `${e.source.node}.${e.source.port}`)).toEqual(['decoder.x']);
  });

  it('refuses a connection of the wrong type, and one with a shape problem, saying why', async () => {
    const before = (await doc(page)).edges.length;
    await dragPort(page, 'port-kl-out-loss', 'port-dense-in-x');
    const refusal = page.getByTestId('connection-refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/Type mismatch: a loss output cannot feed a tensor input/);
    await screenshot(page, 'canvas-refusal');
    // [B, 8] into the reconstruction's target, which must match the [B, 784] prediction.
    await dragPort(page, 'port-encoder-out-mu', 'port-reconstruction-in-target');
    await poll(() => refusal.textContent()).toMatch(/[Ss]hape/);
    expect((await doc(page)).edges.length).toBe(before);
  });

  it('undoes and redoes with the keyboard and the toolbar', async () => {
    await clickCanvas(page);
    const wired = (await doc(page)).edges.length;
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).edges.length).toBe(wired - 1);
    await page.keyboard.press('Control+Shift+z');
    await poll(async () => (await doc(page)).edges.length).toBe(wired);
    await page.getByTestId('toolbar-undo').click(); // the edge
    await page.getByTestId('toolbar-undo').click(); // the Dense
    await poll(async () => (await doc(page)).nodes.some((n) => n.id === 'dense')).toBe(false);
    await page.getByTestId('toolbar-redo').click();
    await page.getByTestId('toolbar-redo').click();
    await poll(() => shape(page, 'dense', 'out', 'y').textContent()).toBe('[B, 128]');
  });

  it('copies and pastes nodes at the pointer with fresh ids, and duplicates them', async () => {
    await page.getByTestId('node-dense').click();
    await page.keyboard.press('Control+c');
    const box = (await page.getByTestId('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.82);
    await page.keyboard.press('Control+v');
    await page.getByTestId('node-dense_2').waitFor();
    await page.keyboard.press('Control+d');
    await page.getByTestId('node-dense_3').waitFor();
    const nodes = (await doc(page)).nodes.filter((n) => n.id.startsWith('dense'));
    expect(nodes.map((n) => n.id)).toEqual(['dense', 'dense_2', 'dense_3']);
    expect(nodes[2]!.position.x - nodes[1]!.position.x).toBe(40);
    await screenshot(page, 'canvas-paste');
    // Delete removes the selected copy; undo brings it back.
    await page.keyboard.press('Delete');
    await poll(async () => (await doc(page)).nodes.some((n) => n.id === 'dense_3')).toBe(false);
    await page.keyboard.press('Control+z');
    await page.getByTestId('node-dense_3').waitFor();
  });

  it('moves a node by dragging it, as one undo step', async () => {
    type Hooks = { __gencomposer: { editor(): { past: { label: string }[] } } };
    const steps = () => page.evaluate(() => (window as unknown as Hooks).__gencomposer.editor().past.map((e) => e.label));
    const before = await steps();
    const at = (await doc(page)).nodes.find((n) => n.id === 'kl')!.position;
    const grip = await centre(page, 'node-kl');
    await page.mouse.move(grip.x, grip.y - 20);
    await page.mouse.down();
    for (let i = 1; i <= 6; i++) await page.mouse.move(grip.x + i * 15, grip.y - 20 + i * 6);
    await page.mouse.up();
    await poll(async () => (await doc(page)).nodes.find((n) => n.id === 'kl')!.position.x).toBeGreaterThan(at.x + 40);
    expect(await steps()).toEqual([...before, 'Move']);
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).nodes.find((n) => n.id === 'kl')!.position).toEqual(at);
  });

  it('lays the graph out left to right as one undo step', async () => {
    const before = await doc(page);
    await page.getByTestId('toolbar-layout').click();
    await poll(async () => JSON.stringify((await doc(page)).nodes.map((n) => n.position))).not.toBe(JSON.stringify(before.nodes.map((n) => n.position)));
    const after = await doc(page);
    const x = (id: string) => after.nodes.find((n) => n.id === id)!.position.x;
    expect(x('data')).toBeLessThan(x('encoder'));
    expect(x('encoder')).toBeLessThan(x('reparameterize'));
    expect(x('reparameterize')).toBeLessThan(x('decoder'));
    await page.waitForTimeout(400);
    await screenshot(page, 'canvas-layout');
    await page.getByTestId('toolbar-undo').click();
    await poll(async () => JSON.stringify((await doc(page)).nodes.map((n) => n.position))).toBe(JSON.stringify(before.nodes.map((n) => n.position)));
  });

  it('adds a node from a search box opened by double-clicking the canvas', async () => {
    const box = (await page.getByTestId('canvas').boundingBox())!;
    await page.mouse.dblclick(box.x + box.width * 0.5, box.y + box.height * 0.12);
    await page.getByTestId('quick-add').waitFor();
    await page.getByTestId('quick-add-search').fill('layer norm');
    await page.keyboard.press('Enter');
    await page.getByTestId('node-layerNorm').waitFor();
    expect(await page.getByTestId('quick-add').count()).toBe(0);
  });

  it('drops a wire on the empty canvas: a search of the kinds that take it, and the node added there, wired, in one undo step', async () => {
    const before = await doc(page);
    const from = await centre(page, 'port-decoder-out-x');
    // A spot of bare canvas, 60 px from anything (or the wire would snap to a port near it).
    const drop = await page.evaluate(() => {
      const rect = document.querySelector('[data-testid="canvas"]')!.getBoundingClientRect();
      const bare = (x: number, y: number) => [-60, 0, 60].every((dx) => [-60, 0, 60].every((dy) => document.elementFromPoint(x + dx, y + dy)?.classList.contains('react-flow__pane')));
      for (let fy = 0.15; fy < 0.85; fy += 0.05) for (let fx = 0.15; fx < 0.85; fx += 0.05) if (bare(rect.left + rect.width * fx, rect.top + rect.height * fy)) return { x: rect.left + rect.width * fx, y: rect.top + rect.height * fy };
      throw new Error('no bare spot on the canvas');
    });
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + drop.x) / 2, (from.y + drop.y) / 2, { steps: 5 });
    await page.mouse.move(drop.x, drop.y, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('quick-add').waitFor();
    expect(await page.getByTestId('quick-add-hint').textContent()).toBe('Wire to decoder.x (tensor)');
    const options = page.getByTestId('quick-add').locator('li[role="option"]');
    // A tensor output: kinds with no tensor input (a Data node, a noise schedule) are not offered.
    await page.getByTestId('quick-add-search').fill('noise schedule');
    const titles = await options.locator('span:first-child').allTextContents();
    expect(titles).not.toContain('Noise schedule');
    expect(titles.length).toBeGreaterThan(0);
    await page.getByTestId('quick-add-search').fill('layer norm');
    expect(await options.count()).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    await poll(async () => (await doc(page)).nodes.length).toBe(before.nodes.length + 1);
    const after = await doc(page);
    const added = after.nodes.find((n) => !before.nodes.some((m) => m.id === n.id))!;
    expect(added.kind).toBe('LayerNorm');
    expect(after.edges.filter((e) => e.target.node === added.id).map((e) => `${e.source.node}.${e.source.port}`)).toEqual(['decoder.x']);
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).nodes.length).toBe(before.nodes.length);
    expect((await doc(page)).edges.length).toBe(before.edges.length);
  });

  it('adds a node from the palette by keyboard: search, arrow down, Enter', async () => {
    const before = (await doc(page)).nodes.length;
    await page.getByTestId('palette-search').click();
    await page.keyboard.type('group norm');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('palette-item-GroupNorm');
    await page.keyboard.press('Enter');
    await poll(async () => (await doc(page)).nodes.length).toBe(before + 1);
    expect((await doc(page)).nodes.at(-1)!.kind).toBe('GroupNorm');
    // Arrows move between kinds; Enter adds the one focused.
    await page.getByTestId('palette-search').fill('');
    await page.getByTestId('palette-search').press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const second = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    expect(second).toMatch(/^palette-item-/);
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).nodes.length).toBe(before);
  });

  it('offers a context menu on a node, an edge and the empty canvas', async () => {
    const before = await doc(page);
    // A node: its commands; Duplicate adds a copy.
    await page.getByTestId('node-decoder').click({ button: 'right', position: { x: 30, y: 10 } });
    const menu = page.getByTestId('context-menu');
    await menu.waitFor();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Duplicate'), expect.stringContaining('Delete')]));
    await page.getByTestId('menu-duplicate').click();
    await poll(async () => (await doc(page)).nodes.length).toBe(before.nodes.length + 1);
    expect(await menu.count()).toBe(0);
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).nodes.length).toBe(before.nodes.length);
    // An edge: Delete edge removes it.
    const edge = page.locator('.react-flow__edge').first();
    // The middle of the wire, on the screen.
    const middle = await edge.locator('.react-flow__edge-path').evaluate((el) => {
      const path = el as SVGPathElement;
      const p = path.getPointAtLength(path.getTotalLength() / 2);
      const m = path.getScreenCTM()!;
      return { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f };
    });
    await page.mouse.click(middle.x, middle.y, { button: 'right' });
    await menu.waitFor();
    await page.getByTestId('menu-delete-edge').click();
    // The wire under the pointer goes (where wires cross, it may be another than the one aimed at).
    await poll(async () => (await doc(page)).edges.length).toBe(before.edges.length - 1);
    await page.keyboard.press('Control+z');
    await poll(async () => (await doc(page)).edges.length).toBe(before.edges.length);
    // The canvas: Add node here opens the search there; Escape closes the menu by keyboard.
    await clickCanvas(page);
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    await page.mouse.click(canvas.x + canvas.width * 0.06, canvas.y + canvas.height * 0.12, { button: 'right' });
    await menu.waitFor();
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    await page.mouse.click(canvas.x + canvas.width * 0.06, canvas.y + canvas.height * 0.12, { button: 'right' });
    await page.getByTestId('menu-add-here').click();
    await page.getByTestId('quick-add').waitFor();
    await screenshot(page, 'canvas-context-menu-add-here');
    await page.keyboard.press('Escape');
  });

  it('frames nodes and collapses a node to a card; both are saved and come back after a reload', async () => {
    // Frame the encoder, named as it is made.
    await page.getByTestId('node-encoder').click({ button: 'right', position: { x: 30, y: 10 } });
    await page.getByTestId('menu-frame').click();
    const frameOf = async () => (await doc(page)).frames![0]!;
    await poll(async () => (await doc(page)).frames?.length).toBe(1);
    const { id } = await frameOf();
    await page.getByTestId(`frame-rename-${id}`).fill('Encoder side');
    await page.keyboard.press('Enter');
    await poll(async () => (await frameOf()).title).toBe('Encoder side');
    // Dragging its title moves it and the encoder inside it by the same offset, as one undo step.
    const before = await doc(page);
    const encoderAt = before.nodes.find((n) => n.id === 'encoder')!.position;
    const title = (await page.getByTestId(`frame-title-${id}`).boundingBox())!;
    await page.mouse.move(title.x + 20, title.y + title.height / 2);
    await page.mouse.down();
    await page.mouse.move(title.x + 80, title.y + title.height / 2 + 50, { steps: 6 });
    await page.mouse.up();
    await poll(async () => (await frameOf()).position.x).not.toBe(before.frames![0]!.position.x);
    const after = await doc(page);
    const moved = { x: after.frames![0]!.position.x - before.frames![0]!.position.x, y: after.frames![0]!.position.y - before.frames![0]!.position.y };
    const encoderNow = after.nodes.find((n) => n.id === 'encoder')!.position;
    expect({ x: encoderNow.x - encoderAt.x, y: encoderNow.y - encoderAt.y }).toEqual(moved);
    expect(moved.y).toBeGreaterThan(0);
    // Its colour, from its context menu.
    await page.getByTestId(`frame-title-${id}`).click({ button: 'right' });
    await page.getByTestId('menu-frame-color-green').click();
    await poll(async () => (await frameOf()).color).toBe('green');
    // The decoder as a compact card.
    const fullHeight = (await page.getByTestId('node-decoder').boundingBox())!.height;
    await page.getByTestId('node-decoder').click({ button: 'right', position: { x: 30, y: 10 } });
    await page.getByTestId('menu-collapse').click();
    await poll(() => page.getByTestId('node-decoder').getAttribute('data-collapsed')).toBe('true');
    expect((await page.getByTestId('node-decoder').boundingBox())!.height).toBeLessThan(fullHeight / 1.5);
    expect((await doc(page)).nodes.find((n) => n.id === 'decoder')!.collapsed).toBe(true);
    await screenshot(page, 'canvas-frame-and-card');
    // Saved: after a reload the frame and the card are back.
    await page.waitForTimeout(1200);
    await page.reload();
    await page.getByTestId(`frame-${id}`).waitFor();
    expect(await page.getByTestId(`frame-title-${id}`).textContent()).toBe('Encoder side');
    expect(await page.getByTestId('node-decoder').getAttribute('data-collapsed')).toBe('true');
    // Wires still reach the card's ports.
    expect(await page.locator('.react-flow__edge').count()).toBe((await doc(page)).edges.length);
  });

  it('holds the keyboard inside the gallery while it is open, and gives focus back when it closes', async () => {
    await page.getByTestId('toolbar-gallery').click();
    await page.getByTestId('gallery').waitFor();
    const inside = () => page.evaluate(() => Boolean(document.querySelector('[data-testid="gallery"]')?.contains(document.activeElement)));
    expect(await inside()).toBe(true);
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
      expect(await inside()).toBe(true);
    }
    await page.keyboard.press('Escape');
    await page.getByTestId('gallery').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('toolbar-gallery');
  });

  it('opens a block into its primitives, and undo brings the block back', async () => {
    await page.getByTestId('node-encoder').dblclick({ position: { x: 30, y: 10 } });
    await page.getByTestId('expand-dialog').waitFor();
    expect(await page.getByTestId('expand-dialog').textContent()).toMatch(/Dense ×3/);
    await page.getByTestId('expand-block').click();
    await poll(async () => (await doc(page)).nodes.some((n) => n.id === 'encoder')).toBe(false);
    await page.getByTestId('node-encoder_mu').waitFor();
    await poll(() => shape(page, 'encoder_mu', 'out', 'y').textContent()).toBe('[B, 8]');
    expect(await shape(page, 'reparameterize', 'in', 'mu').textContent()).toBe('[B, 8]');
    await clickCanvas(page);
    await page.keyboard.press('Control+z');
    await page.getByTestId('node-encoder').waitFor();
  });

  it('groups a selection into a module, shares it, opens it, and comes back', async () => {
    // The duplicate overlaps the copy it was made from, and a selected node comes to the front: click uncovered corners.
    await page.getByTestId('node-dense_2').click({ position: { x: 12, y: 8 } });
    const last = (await page.getByTestId('node-dense_3').boundingBox())!;
    await page.getByTestId('node-dense_3').click({ modifiers: ['Control'], position: { x: last.width - 12, y: last.height - 8 } });
    await page.getByTestId('toolbar-group').click();
    await poll(async () => (await doc(page)).modules.length).toBe(1);
    const instance = (await doc(page)).nodes.find((n) => n.kind === 'Module')!;
    const badge = page.getByTestId(`module-badge-${instance.id}`);
    expect(await badge.textContent()).toBe('Module 1');
    // A second instance shares the module's weights.
    await page.keyboard.press('Control+d');
    await poll(() => badge.textContent()).toBe('Module 1×2 shared');
    await page.getByTestId(`node-${instance.id}`).dblclick({ position: { x: 30, y: 10 } });
    await page.getByTestId('breadcrumb').waitFor();
    expect(await page.getByTestId('breadcrumb').textContent()).toMatch(/Module 1.*all 2 instances/);
    await page.getByTestId('node-dense_2').waitFor();
    await screenshot(page, 'canvas-module');
    await page.getByTestId('breadcrumb-back').click();
    await page.getByTestId('node-encoder').waitFor();
  });

  it('lists problems and shows their node when clicked, opening its module when it is inside one', async () => {
    type Hooks = { __gencomposer: { editor(): { selection: string[]; scope?: string } } };
    const state = () => page.evaluate(() => {
      const { selection, scope } = (window as unknown as Hooks).__gencomposer.editor();
      return { selection, scope: scope ?? null };
    });
    // Cut the decoder out: the reconstruction loss loses its prediction.
    await page.getByTestId('node-decoder').click({ position: { x: 30, y: 10 } });
    await page.keyboard.press('Delete');
    const problems = page.getByTestId('problem');
    await problems.filter({ hasText: 'reconstruction.prediction' }).click();
    await poll(state).toEqual({ selection: ['reconstruction'], scope: null });
    await page.waitForTimeout(400);
    await screenshot(page, 'canvas-problems');
    // The Dense copies inside the module have open inputs.
    await problems.filter({ hasText: 'Module 1 › dense_2' }).click();
    await poll(state).toEqual({ selection: ['dense_2'], scope: 'module_1' });
    await page.getByTestId('breadcrumb-back').click();
  });

  it('shows the keyboard shortcuts', async () => {
    await clickCanvas(page);
    await page.keyboard.press('?');
    await page.getByTestId('help-panel').waitFor();
    await screenshot(page, 'canvas-help');
    await page.keyboard.press('Escape');
    await page.getByTestId('help-panel').waitFor({ state: 'detached' });
  });

  it('opens every preset at a zoom where it reads (screenshots of each at its default zoom)', async () => {
    const presets = readdirSync('graph-presets')
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ id: f.slice(0, -'.json'.length), nodes: (JSON.parse(readFileSync(`graph-presets/${f}`, 'utf8')) as { nodes: unknown[] }).nodes.length }));
    const zooms: string[] = [];
    for (const preset of presets) {
      await page.evaluate((id) => (window as unknown as { __gencomposer: { loadPreset(id: string): boolean } }).__gencomposer.loadPreset(id), preset.id);
      // The view fits the graph once it is measured.
      await page.waitForTimeout(700);
      const zoom = await page.evaluate(() => Number(/scale\(([\d.]+)\)/.exec((document.querySelector('.react-flow__viewport') as HTMLElement).style.transform)?.[1] ?? 0));
      zooms.push(`${preset.id} ${zoom.toFixed(2)}`);
      await screenshot(page, `preset-${preset.id}`);
      // Every preset opens readable (text at 0.38 of its size is about 4.5 px): whole, or, too big for that (Glow), at
      // its start, where its data comes in.
      expect(zoom, preset.id).toBeGreaterThanOrEqual(0.38);
      expect(await page.getByTestId('node-data').isVisible(), preset.id).toBe(true);
      const data = (await page.getByTestId('node-data').boundingBox())!;
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      expect(data.x >= canvas.x && data.x + data.width <= canvas.x + canvas.width && data.y >= canvas.y && data.y + data.height <= canvas.y + canvas.height, `${preset.id}: its data node is in view`).toBe(true);
    }
    console.log(`[canvas] default zoom of each preset: ${zooms.join(', ')}`);
    await page.evaluate(() => (window as unknown as { __gencomposer: { loadPreset(id: string): boolean } }).__gencomposer.loadPreset('vae'));
  });

});
