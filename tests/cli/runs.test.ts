/**
 * No run is lost: signals, crashes, divergence and damaged checkpoints,
 * through the real `gencomposer` bin.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointFiles } from '../../src/cli/checkpoint-files.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gencomposer-runs-'));
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the CLI; `exited` resolves to its exit code (or signal) and output. */
function start(args: string[]) {
  const child = spawn(process.execPath, ['bin/gencomposer.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(20);
  }
}

const metricLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0);

/** A tiny graph: a Dense layer fitting two moons to themselves. SGD at `learningRate` (5 diverges within about 40 steps). */
function fitGraph(name: string, learningRate: number): string {
  const path = join(dir, `${name}.json`);
  const document = {
    format: 'gencomposer.graph',
    version: 3,
    meta: { name, family: 'custom' },
    nodes: [
      { id: 'data', kind: 'Data', params: { dataset: 'two-moons' }, position: { x: 0, y: 0 } },
      { id: 'fit', kind: 'Dense', params: { units: 2 }, position: { x: 0, y: 0 } },
      { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse', reduction: 'mean' }, position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: { node: 'data', port: 'x' }, target: { node: 'fit', port: 'x' } },
      { id: 'e2', source: { node: 'fit', port: 'y' }, target: { node: 'loss', port: 'prediction' } },
      { id: 'e3', source: { node: 'data', port: 'x' }, target: { node: 'loss', port: 'target' } },
    ],
    training: { batchSize: 16, steps: 100, objectives: [{ id: 'main', optimizer: { type: 'sgd', learningRate } }] },
  };
  writeFileSync(path, JSON.stringify(document));
  return path;
}

describe('runs survive signals, crashes and divergence', () => {
  it('a crash at any moment leaves the old checkpoint or the new one, never a mix', { timeout: 120_000 }, async () => {
    const folder = join(dir, 'crash', 'checkpoint');
    mkdirSync(folder, { recursive: true });
    for (let attempt = 0; attempt < 8; attempt++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/cli/fixtures/checkpoint-writer.ts', folder, String(2 ** 22)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await sleep(50 + ((attempt * 97) % 400));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
      const { manifest, weights } = await readCheckpointFiles(folder);
      const values = new Float32Array(weights);
      expect(values.length).toBe(2 ** 22);
      // Every number of the weights belongs to the step the manifest names.
      expect(values[0]).toBe(manifest.step);
      expect(values[values.length - 1]).toBe(manifest.step);
    }
    // Leftovers of killed writers are cleaned up by the next write, not read.
    expect(readdirSync(folder).filter((f) => f.endsWith('.bin')).length).toBeGreaterThanOrEqual(1);
  });

  it('SIGINT stops after the step with a checkpoint; --resume reaches the same numbers as an uninterrupted run', { timeout: 240_000 }, async () => {
    const graph = fitGraph('fit', 0.05);
    const common = ['--backend', 'cpu', '--steps', '600', '--log-every', '1', '--validate-every', '0', '--eval-samples', '10', '--quiet'];
    const straight = join(dir, 'straight');
    const whole = await cli('train', graph, ...common, '--out', straight);
    expect(whole.code, whole.stderr).toBe(0);

    const run = join(dir, 'interrupted');
    const metrics = join(run, 'metrics.jsonl');
    const { child, exited } = start(['train', graph, ...common, '--out', run, '--checkpoint-every', '100']);
    await waitFor(() => metricLines(metrics) >= 150, 120_000);
    child.kill('SIGINT');
    const stopped = await exited;
    expect(stopped.code, stopped.stderr).toBe(130);
    expectNoStackTrace(stopped.stderr);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('interrupted');
    expect(summary.signal).toBe('SIGINT');
    const { manifest } = await readCheckpointFiles(join(run, 'checkpoint'));
    expect(manifest.step).toBe(summary.steps);
    expect(manifest.step).toBeGreaterThanOrEqual(150);
    expect(manifest.step).toBeLessThan(600);

    const resumed = await cli('train', graph, ...common, '--out', run, '--resume', join(run, 'checkpoint'));
    expect(resumed.code, resumed.stderr).toBe(0);
    // One metrics file for the whole run: every step once, in order, as in the uninterrupted run.
    expect(lines(metrics).map((m) => m.step)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(lines(metrics).map((m) => m.losses)).toEqual(lines(join(straight, 'metrics.jsonl')).map((m) => m.losses));
    expect(lines(metrics).at(-1).losses).toEqual(lines(join(straight, 'metrics.jsonl')).at(-1).losses);
    const a = await readCheckpointFiles(join(straight, 'checkpoint'));
    const b = await readCheckpointFiles(join(run, 'checkpoint'));
    expect(Buffer.from(b.weights).equals(Buffer.from(a.weights))).toBe(true);
  });

  it('a run that diverges keeps its last good checkpoint and says where it is', { timeout: 120_000 }, async () => {
    const graph = fitGraph('diverges', 5);
    const out = join(dir, 'diverged');
    const result = await cli('train', graph, '--backend', 'cpu', '--steps', '400', '--log-every', '1', '--checkpoint-every', '1', '--validate-every', '0', '--out', out, '--quiet');
    expect(result.code, result.stderr).toBe(1);
    expectNoStackTrace(result.stderr);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/^GC206/);
    expect(result.stderr).toContain(`the checkpoint of step ${summary.checkpointStep} is kept`);
    const { manifest, weights } = await readCheckpointFiles(join(out, 'checkpoint'));
    expect(manifest.step).toBe(summary.checkpointStep);
    expect(manifest.step).toBeLessThan(summary.steps);
    expect(new Float32Array(weights).every(Number.isFinite)).toBe(true);
    // The kept checkpoint loads like any other (training on from it would diverge again).
    const resumed = await cli('train', graph, '--backend', 'cpu', '--steps', String(manifest.step), '--out', join(dir, 'from-good'), '--resume', join(out, 'checkpoint'), '--quiet');
    expect(resumed.code, resumed.stderr).toBe(0);
  });

  it('refuses damaged or foreign checkpoints in one line', { timeout: 120_000 }, async () => {
    const graph = fitGraph('small', 0.05);
    const out = join(dir, 'small');
    const trained = await cli('train', graph, '--backend', 'cpu', '--steps', '20', '--validate-every', '0', '--out', out, '--quiet');
    expect(trained.code, trained.stderr).toBe(0);
    const checkpoint = join(out, 'checkpoint');
    const manifest = JSON.parse(readFileSync(join(checkpoint, 'model.json'), 'utf8'));
    const weightsFile = join(checkpoint, manifest.weightsManifest[0].paths[0]);
    const weights = readFileSync(weightsFile);
    const copy = (name: string, change: (m: typeof manifest, w: Buffer) => { m?: unknown; w?: Buffer | string }) => {
      const folder = join(dir, 'damaged', name);
      mkdirSync(folder, { recursive: true });
      const changed = change(structuredClone(manifest), Buffer.from(weights));
      writeFileSync(join(folder, 'model.json'), typeof changed.m === 'string' ? changed.m : JSON.stringify(changed.m ?? manifest));
      writeFileSync(join(folder, manifest.weightsManifest[0].paths[0]), changed.w ?? weights);
      return folder;
    };
    const nan = Buffer.from(weights);
    nan.writeFloatLE(Number.NaN, 4);
    const cases: [string, string, RegExp][] = [
      ['not-json', copy('not-json', () => ({ m: '{"format": ' })), /model\.json is not valid JSON/],
      ['short', copy('short', (_, w) => ({ w: w.subarray(8) })), /bytes/],
      ['nan', copy('nan', () => ({ w: nan })), /not finite: "fit\/kernel" holds NaN/],
      ['step', copy('step', (m) => ({ m: { ...m, step: 'many' } })), /invalid at step/],
      ['escape', copy('escape', (m) => ({ m: { ...m, weightsManifest: [{ ...m.weightsManifest[0], paths: ['../../etc/passwd'] }] } })), /not a file name in the checkpoint folder/],
      ['foreign', join(dir, 'straight', 'checkpoint'), /another model/],
    ];
    const other = fitGraph('other', 0.1);
    for (const [name, folder, reason] of cases) {
      const graphFile = name === 'foreign' ? other : graph;
      const result = await cli('train', graphFile, '--resume', folder, '--backend', 'cpu', '--out', join(dir, `resume-${name}`), '--quiet');
      expect(result.code, `${name}: ${result.stderr}`).toBe(1);
      expect(result.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(result.stderr).toMatch(reason);
      expectNoStackTrace(result.stderr);
    }
  });

  it('sample refuses a checkpoint whose weights are not finite, and writes no picture', { timeout: 120_000 }, async () => {
    const out = join(dir, 'flow');
    const trained = await cli('train', 'graph-presets/flow.json', '--backend', 'cpu', '--steps', '3', '--validate-every', '0', '--eval-samples', '10', '--out', out, '--quiet');
    expect(trained.code, trained.stderr).toBe(0);
    const checkpoint = join(out, 'checkpoint');
    const { manifest } = await readCheckpointFiles(checkpoint);
    const weightsFile = join(checkpoint, manifest.weightsManifest[0]!.paths[0]!);
    const weights = readFileSync(weightsFile);
    weights.writeFloatLE(Number.POSITIVE_INFINITY, 0);
    writeFileSync(weightsFile, weights);
    const picture = join(dir, 'nan-samples.png');
    const result = await cli('sample', 'graph-presets/flow.json', '--checkpoint', checkpoint, '--backend', 'cpu', '--out', picture);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`its weights are not finite: "${manifest.weightsManifest[0]!.weights[0]!.name}" holds Infinity`));
    expect(existsSync(picture)).toBe(false);
  });

  it('an --out that cannot be written fails at once, before any work', { timeout: 60_000 }, async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const graph = fitGraph('out', 0.05);
    for (const args of [
      ['train', graph, '--out', '/proc/gencomposer-run'],
      ['train', graph, '--out', file],
      ['sample', graph, '--checkpoint', join(dir, 'small', 'checkpoint'), '--out', join(file, 'x.png')],
      ['sample', graph, '--checkpoint', join(dir, 'small', 'checkpoint'), '--out', dir],
      ['bench', graph, '--out', '/proc/gencomposer.json'],
      ['bench', graph, '--out', join(file, 'bench.json')],
    ]) {
      const result = await cli(...args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/--out /);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expectNoStackTrace(result.stderr);
      // Refused before any work: no backend was started (train names it first when it does).
      expect(result.stderr).not.toContain('backend:');
    }
  });
});
