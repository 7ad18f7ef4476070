/**
 * Exported projects under torchrun: two CPU ranks (gloo) train the VAE, the
 * GAN and the Transformer three steps with a global batch of 8, and one
 * process does the same. The logged losses of every step must agree (the
 * ranks' losses are the mean over the global batch, as one process's are),
 * and train.py's closing check must find the parameters equal on both ranks.
 * The GAN's generator has BatchNorm, whose statistics train.py takes over
 * both ranks' parts of the batch, so it too trains as one process.
 *
 * Skipped, saying so, when /usr/bin/python3 cannot import torch or there is
 * no torchrun.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { exportedDataFiles } from '../../src/core/export/data-files.ts';
import { pytorchProject } from '../../src/core/export/pytorch/project.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { pythonLibrary } from '../../src/cli/export.ts';

const PYTHON = '/usr/bin/python3';
const TORCHRUN = '/usr/bin/torchrun';
const PRESETS = fileURLToPath(new URL('../../graph-presets/', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0 && existsSync(TORCHRUN);
if (!hasTorch) console.warn(`torchrun: skipped, ${PYTHON} cannot import torch or ${TORCHRUN} is missing (install Debian's python3-torch)`);

async function exportPreset(file: string, dir: string): Promise<void> {
  const loaded = loadText(readFileSync(join(PRESETS, file), 'utf8'));
  if (!loaded.ok) throw new Error(`${file}: ${loaded.diagnostics[0]?.message}`);
  const compiled = compile(loaded.document, analyze(loaded.document));
  if (!compiled.ok) throw new Error(`${file}: does not compile`);
  const data = new Map<string, Uint8Array>();
  for (const f of exportedDataFiles(loaded.document)) if (f.kind === 'asset') data.set(f.path, await readPublicAsset(f.asset));
  const project = pytorchProject(compiled.program, { library: pythonLibrary(), data });
  if (!project.ok) throw new Error(`${file}: ${project.diagnostics.map((d) => d.message).join('; ')}`);
  for (const f of project.files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
}

/** A port nothing listens on now: each torchrun gets its own rendezvous (--standalone's fixed 29400 can still be held by the previous run's store). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Losses = Record<string, Record<string, number>>;

function losses(dir: string): Losses[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { losses: Losses }).losses);
}

const FLAGS = ['--steps', '3', '--batch-size', '8', '--log-every', '1', '--save-every', '1000'];

describe.skipIf(!hasTorch)('exported projects under torchrun', () => {
  it.each(['vae.json', 'gan.json', 'transformer.json'])('%s: 2 ranks take the steps 1 process takes, and end with equal parameters', async (file) => {
    const dir = mkdtempSync(join(tmpdir(), 'gencomposer-torchrun-'));
    try {
      await exportPreset(file, dir);
      const one = spawnSync(PYTHON, ['train.py', ...FLAGS, '--out', 'one'], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
      expect(one.status, one.stderr.split('\n').slice(-15).join('\n')).toBe(0);
      const rendezvous = ['--nnodes=1', '--rdzv_backend=c10d', `--rdzv_endpoint=127.0.0.1:${await freePort()}`];
      const two = spawnSync(TORCHRUN, [...rendezvous, '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '--log_dir', join(dir, 'torchrun-logs'), 'train.py', ...FLAGS, '--out', 'two'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
      expect(two.status, `${two.stdout.slice(-2000)}\n${two.stderr.slice(-2000)}`).toBe(0);
      expect(two.stdout).toMatch(/parameters on all 2 ranks: largest difference from rank 0 0\b/);
      const single = losses(join(dir, 'one'));
      const ranks = losses(join(dir, 'two'));
      expect(ranks.length).toBe(3);
      ranks.forEach((step, i) => {
        for (const [objective, values] of Object.entries(step)) {
          for (const [name, value] of Object.entries(values)) {
            const reference = single[i]![objective]![name]!;
            expect(Math.abs(value - reference), `step ${i + 1} ${objective} ${name}: 2 ranks ${value}, 1 process ${reference}`).toBeLessThanOrEqual(1e-5 * Math.abs(reference) + 1e-6);
          }
        }
      });
      // sample.py picks up what the ranks trained (two/checkpoint) and writes the picture or text the app would.
      const sampled = spawnSync(PYTHON, ['sample.py', '--out', 'two', '--n', '4'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      expect(sampled.status, sampled.stderr.split('\n').slice(-15).join('\n')).toBe(0);
      expect(sampled.stdout).toContain(`weights: ${join('two', 'checkpoint', 'weights.safetensors')}`);
      const written = readdirSync(join(dir, 'two', 'samples'));
      if (file === 'transformer.json') expect(readFileSync(join(dir, 'two', 'samples', 'sampler.txt'), 'utf8').split('\n').length - 1).toBe(4);
      else expect(written).toContain('sampler.png');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
