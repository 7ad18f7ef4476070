/** The CLI reads a Data node's own file beside the graph file, or where --data points. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUserFolder, UserDataError, UserFileMissingError } from '../../src/core/data/user-file.ts';
import { USER_DATA_LIMITS } from '../../src/core/data/user-limits.ts';
import { parseDataFlags, userFileReader } from '../../src/cli/user-files.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const ROWS = `x,y\n${Array.from({ length: 40 }, (_, i) => `${(i / 10).toFixed(1)},${(-i / 20).toFixed(2)}`).join('\n')}\n`;

/** A linear autoencoder on a two-column CSV. */
function graph(file: string): string {
  const at = { x: 0, y: 0 };
  return JSON.stringify({
    format: 'gencomposer.graph',
    version: 3,
    meta: { name: 'table autoencoder' },
    nodes: [
      { id: 'data', kind: 'Data', params: { dataset: 'csv', file, columns: 2 }, position: at },
      { id: 'fc', kind: 'Dense', params: { units: 2 }, position: at },
      { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' }, position: at },
    ],
    edges: [
      { id: 'e1', source: { node: 'data', port: 'x' }, target: { node: 'fc', port: 'x' } },
      { id: 'e2', source: { node: 'fc', port: 'y' }, target: { node: 'loss', port: 'prediction' } },
      { id: 'e3', source: { node: 'data', port: 'x' }, target: { node: 'loss', port: 'target' } },
    ],
    training: { batchSize: 8 },
  });
}

describe('gencomposer with a CSV of the user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gencomposer-user-data-'));
  const graphFile = join(dir, 'table.json');
  writeFileSync(graphFile, graph('rows.csv'));
  writeFileSync(join(dir, 'rows.csv'), ROWS);

  it('validates and trains on the file beside the graph', { timeout: 120_000 }, async () => {
    const valid = await cli('validate', graphFile);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    const out = join(dir, 'run');
    const trained = await cli('train', graphFile, '--steps', '3', '--log-every', '1', '--backend', 'cpu', '--out', out);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ steps: 3, status: 'done', eval: { split: 'validation', examples: 4 } });
    expect(existsSync(join(out, 'checkpoint/weights-000003.bin'))).toBe(true);
  });

  it('says what is wrong with a malformed file, with exit 1, or a missing one, with exit 2', { timeout: 120_000 }, async () => {
    const badGraph = join(dir, 'bad.json');
    writeFileSync(badGraph, graph('bad.csv'));
    writeFileSync(join(dir, 'bad.csv'), 'x,y\n1,2\n3,abc\n');
    const bad = await cli('train', badGraph, '--steps', '3', '--backend', 'cpu', '--out', join(dir, 'bad-run'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${badGraph}: data: bad.csv line 3, column 2: "abc" is not a number`);

    const missingGraph = join(dir, 'missing.json');
    writeFileSync(missingGraph, graph('nowhere.csv'));
    const missing = await cli('train', missingGraph, '--steps', '3', '--backend', 'cpu', '--out', join(dir, 'missing-run'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${missingGraph}: data: the data file "nowhere.csv" is missing (looked for ${join(dir, 'nowhere.csv')}); put it beside the graph file, or pass --data nowhere.csv=PATH`);

    // --data reads the file from elsewhere.
    const elsewhere = join(dir, 'elsewhere.csv');
    writeFileSync(elsewhere, ROWS);
    const redirected = await cli('train', missingGraph, '--steps', '1', '--backend', 'cpu', '--out', join(dir, 'redirected'), '--data', `nowhere.csv=${elsewhere}`);
    expect(redirected.code, redirected.stderr).toBe(0);
    const unknown = await cli('train', graphFile, '--steps', '1', '--backend', 'cpu', '--data', 'other.csv=x.csv');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--data other.csv=...: no Data node of');
    for (const r of [bad, missing, unknown]) expectNoStackTrace(r.stderr);
  });
});

describe('the CLI reader of user files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gencomposer-user-files-'));
  const graphFile = join(dir, 'g.json');

  it('reads files and folders relative to the graph file', async () => {
    mkdirSync(join(dir, 'pics', 'cat'), { recursive: true });
    writeFileSync(join(dir, 'pics', 'cat', 'a.png'), 'x');
    writeFileSync(join(dir, 'rows.csv'), '1,2\n');
    const read = userFileReader(graphFile);
    expect(new TextDecoder().decode((await read('rows.csv')) as Uint8Array)).toBe('1,2\n');
    const folder = await read('pics');
    if (!isUserFolder(folder)) throw new Error('expected a folder');
    expect(folder.entries.map((e) => [e.path, e.size])).toEqual([['cat/a.png', 1]]);
    await expect(read('none.csv')).rejects.toThrow(UserFileMissingError);
  });

  it('refuses a file over the size limit without reading it', async () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, '');
    truncateSync(big, USER_DATA_LIMITS.fileBytes + 1);
    await expect(userFileReader(graphFile)('big.csv')).rejects.toThrow(UserDataError);
    await expect(userFileReader(graphFile)('big.csv')).rejects.toThrow('big.csv is 256.0 MB; the limit is 256 MB');
  });

  it.runIf(process.platform === 'linux')('refuses devices and pipes, read through the bounded reader', async () => {
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const read = userFileReader(graphFile, new Map([['zero.csv', '/dev/zero']]));
    await expect(read('zero.csv')).rejects.toThrow('cannot read the data file "zero.csv" at /dev/zero: it is a character device, not a regular file');
    await expect(read('pipe.csv')).rejects.toThrow(`cannot read the data file "pipe.csv" at ${fifo}: it is a pipe (FIFO), not a regular file`);
    await expect(read('pipe.csv')).rejects.toThrow(UserDataError);
  });

  it('refuses a folder entry that grew after the folder was listed, not reading past its listed size', async () => {
    mkdirSync(join(dir, 'grows'), { recursive: true });
    writeFileSync(join(dir, 'grows', 'a.png'), 'x');
    const folder = await userFileReader(graphFile)('grows');
    if (!isUserFolder(folder)) throw new Error('expected a folder');
    writeFileSync(join(dir, 'grows', 'a.png'), 'x'.repeat(1000));
    await expect(folder.entries[0]!.read()).rejects.toThrow(`cannot read the data file "grows/a.png" at ${join(dir, 'grows', 'a.png')}: it is 1,000 bytes; the limit is 1 byte`);
  });

  it('reads --data NAME=PATH flags', () => {
    expect([...parseDataFlags(['a.csv=/x/y.csv', 'b=c=d'])]).toEqual([
      ['a.csv', '/x/y.csv'],
      ['b', 'c=d'],
    ]);
    expect(() => parseDataFlags(['nothing'])).toThrow('--data takes NAME=PATH');
    expect(() => parseDataFlags(['=x'])).toThrow('--data takes NAME=PATH');
  });
});
