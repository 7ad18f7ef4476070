import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli, expectNoStackTrace } from './run-cli.ts';

describe('gencomposer sample --condition', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gencomposer-condition-'));

  it('samples the classes asked for from a conditional GAN, and refuses labels it has no class for', { timeout: 180_000 }, async () => {
    const run = join(dir, 'cgan');
    const trained = await cli('train', 'graph-presets/cgan.json', '--steps', '2', '--backend', 'wasm', '--eval-samples', '20', '--out', run);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    // The preset's own choice: each digit in turn, ten of each, a row per digit.
    expect(summary.samples[0].labels).toEqual(Array.from({ length: 100 }, (_, i) => Math.floor(i / 10)));

    // Twenty samples of ten digits: two of each, a row per digit, so the picture is five times taller than wide.
    const pairs = join(dir, 'pairs.png');
    const sampled = await cli('sample', 'graph-presets/cgan.json', '--checkpoint', join(run, 'checkpoint'), '--n', '20', '--out', pairs);
    expect(sampled.code, sampled.stderr).toBe(0);
    const grid = PNG.sync.read(readFileSync(pairs));
    expect(grid.height / grid.width).toBeCloseTo(5, 0);

    const picture = join(dir, 'threes.png');
    const threes = await cli('sample', 'graph-presets/cgan.json', '--checkpoint', join(run, 'checkpoint'), '--condition', '3', '--n', '6', '--out', picture);
    expect(threes.code, threes.stderr).toBe(0);
    expect(PNG.sync.read(readFileSync(picture)).width).toBeGreaterThan(0);

    const outside = await cli('sample', 'graph-presets/cgan.json', '--checkpoint', join(run, 'checkpoint'), '--condition', '3,12', '--out', picture);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('--condition: sampler sampler: the label 12 is not a class of its condition (0 to 9)');
    expectNoStackTrace(outside.stderr);
    const words = await cli('sample', 'graph-presets/cgan.json', '--checkpoint', join(run, 'checkpoint'), '--condition', 'three', '--out', picture);
    expect(words.code).toBe(2);
    expect(words.stderr).toContain('--condition takes each-class, held-out or labels');
  });
});
