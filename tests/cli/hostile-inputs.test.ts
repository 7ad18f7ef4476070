/**
 * Hostile inputs through the real CLI: each is refused with the right exit
 * code and one line that says why, no stack trace, quickly and in bounded
 * memory (peak resident memory under 500 MB where the platform reports it).
 * The large versions (a 400 MB graph file written out, gigabyte bombs) are
 * in bench/hostile-inputs.ts; these are the cheap ones.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ihdr, pngFromChunks } from '../data/user-file-helpers.ts';
import { moduleBomb, userDataGraph } from '../hostile-documents.ts';
import { measuredCli, type MeasuredRun } from './measured-cli.ts';
import { expectNoStackTrace } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gencomposer-hostile-'));
const linux = process.platform === 'linux';
const MAX_RSS_MB = 500;

function expectRefused(run: MeasuredRun, code: number, line: string | RegExp): void {
  expect(run.code, run.stdout + run.stderr).toBe(code);
  // train says which backend it started before it opens the data; the refusal is the one line after.
  const lines = (run.stderr.trim() || run.stdout.trim()).split('\n').filter((l) => !l.startsWith('backend: '));
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toContain(line);
  else expect(lines[0]).toMatch(line);
  expectNoStackTrace(run.stderr);
  if (linux) expect(run.maxRssMB).toBeLessThan(MAX_RSS_MB);
}

/** Writes a graph over a Data node reading `file`, and that file; returns the graph's path. */
function withData(name: string, data: Record<string, unknown>, content: Uint8Array): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, String(data.file)), content);
  const graph = join(folder, 'graph.json');
  writeFileSync(graph, JSON.stringify(userDataGraph(data)));
  return graph;
}

const train = (graph: string, ...more: string[]) => measuredCli(['train', graph, '--steps', '1', '--backend', 'cpu', '--out', join(dir, 'runs', String(Math.random())), ...more]);

describe('hostile graph files', () => {
  it('refuses a 400 MB graph file from its size, without reading it', { timeout: 60_000 }, async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 400 << 20);
    expectRefused(await measuredCli(['validate', big]), 2, `${big}: (graph): GC001 The file is ${400 << 20} bytes; the limit is 8388608 bytes.`);
  });

  it.runIf(linux)('refuses /dev/zero, a FIFO nobody writes to, and a folder, without reading them', { timeout: 60_000 }, async () => {
    expectRefused(await measuredCli(['validate', '/dev/zero']), 2, '/dev/zero: (graph): GC009 The file cannot be read: it is a character device, not a regular file.');
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const piped = await measuredCli(['validate', fifo], 30_000);
    expectRefused(piped, 2, 'GC009 The file cannot be read: it is a pipe (FIFO), not a regular file.');
    expectRefused(await measuredCli(['train', fifo, '--steps', '1']), 2, 'GC009 The file cannot be read: it is a pipe (FIFO), not a regular file.');
    expectRefused(await measuredCli(['validate', dir]), 2, 'GC009 The file cannot be read: it is a folder, not a regular file.');
  });

  it('refuses 15 modules each placing the next 10 times, quickly', { timeout: 60_000 }, async () => {
    const bomb = join(dir, 'bomb.json');
    writeFileSync(bomb, JSON.stringify(moduleBomb(15, 10)));
    const run = await measuredCli(['validate', bomb]);
    expectRefused(run, 1, `${bomb}: top: GC115 The graph expands to about 433,333,333,333,334 operations`);
    // Mostly starting Node; expanding the graph would never finish.
    expect(run.seconds).toBeLessThan(15);
  });
});

describe('hostile data files', () => {
  it('refuses a zip whose directory understates an entry, naming it', { timeout: 60_000 }, async () => {
    const zip = zipSync({ 'a.png': new Uint8Array(16 << 20) }, { level: 9 });
    const view = new DataView(zip.buffer);
    for (let i = 0; i + 4 < zip.length; i++) {
      if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, 100, true);
    }
    const graph = withData('zip', { dataset: 'images', file: 'pics.zip', height: 28, width: 28 }, zip);
    expectRefused(await train(graph), 1, "data: pics.zip: a.png unpacks to more than the 100 bytes the zip's directory says");
  });

  it('refuses a PNG whose pixel data unpacks past its 28 x 28 header', { timeout: 60_000 }, async () => {
    const png = pngFromChunks([['IHDR', ihdr(28, 28)], ['IDAT', zlibSync(new Uint8Array(16 << 20), { level: 9 })], ['IEND', new Uint8Array()]]);
    const graph = withData('png', { dataset: 'images', file: 'pics.zip', height: 28, width: 28 }, zipSync({ 'a.png': png }));
    expectRefused(await train(graph), 1, 'data: pics.zip: a.png: its pixel data unpacks to more than the 812 bytes its header declares');
  });

  it('refuses a CSV line of a million fields and a text line of 50 MB', { timeout: 60_000 }, async () => {
    const csv = withData('csv', { dataset: 'csv', file: 'wide.csv', columns: 2 }, new TextEncoder().encode('1,'.repeat(1_000_000)));
    expectRefused(await train(csv), 1, 'data: wide.csv line 1 has more than 4097 fields, the limit');
    const text = withData('text', { dataset: 'text', file: 'long.txt', context: 16 }, new Uint8Array(50 << 20).fill(0x61));
    expectRefused(await train(text), 1, `data: long.txt line 1 has ${50 << 20} characters; the limit is 4096`);
  });

  it.runIf(linux)('refuses /dev/zero as a data file', { timeout: 60_000 }, async () => {
    const csv = withData('zero', { dataset: 'csv', file: 'rows.csv', columns: 2 }, new Uint8Array());
    expectRefused(await train(csv, '--data', 'rows.csv=/dev/zero'), 1, 'cannot read the data file "rows.csv" at /dev/zero: it is a character device, not a regular file');
  });
});
