/**
 * Every preset's samplers, exported to sample.py, draw what GenComposer
 * draws: from the same weights, with GenComposer's own generator in Python
 * (gencomposer.AppRandom) and the same seed, each sampler's samples (images,
 * points, latents decoded, denoised, flows run backwards, tokens, pixels)
 * equal TF.js's. Schedules are cut to 20 steps and samples to 3, to keep the
 * test short; the loops are the same at any length.
 *
 * Skipped, saying so, when /usr/bin/python3 cannot import torch.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { exportedDataFiles } from '../../src/core/export/data-files.ts';
import { pytorchProject } from '../../src/core/export/pytorch/project.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { pythonLibrary } from '../../src/cli/export.ts';
import { PYTHON, torchAvailable } from '../oracle/cases.ts';

const DRIVER = fileURLToPath(new URL('./sample_driver.py', import.meta.url));
const PRESETS = fileURLToPath(new URL('../../graph-presets/', import.meta.url));
const COUNT = 3;
const SEED = 11;
const SCHEDULE_STEPS = 20;
const RELATIVE = 1e-4;
const ABSOLUTE = 1e-4;

const hasTorch = torchAvailable('pytorch-samples');

type Samples = { kind: 'tensor'; shape: number[]; values: number[]; labels?: number[] | null } | { kind: 'tokens'; tokens: number[][]; labels?: number[] | null };

/** The preset with its schedules cut short (DDIM's strides within them). */
function shortened(doc: GraphDocument): GraphDocument {
  const nodes = doc.nodes.map((n) => {
    if (n.kind === 'NoiseSchedule') return { ...n, params: { ...n.params, steps: SCHEDULE_STEPS } };
    if (n.kind === 'DDIMSampler') return { ...n, params: { ...n.params, steps: Math.min(Number(n.params.steps ?? 50), SCHEDULE_STEPS / 2) } };
    return n;
  });
  return { ...doc, nodes };
}

async function sampleInTfjs(file: string, dir: string): Promise<Record<string, Samples>> {
  const loaded = loadText(readFileSync(join(PRESETS, file), 'utf8'));
  if (!loaded.ok) throw new Error(`${file}: ${loaded.diagnostics[0]?.message}`);
  const doc = shortened(loaded.document);
  const compiled = compile(doc, analyze(doc));
  if (!compiled.ok) throw new Error(`${file}: ${compiled.diagnostics.find((d) => d.severity === 'error')?.message}`);
  const program = compiled.program;
  const sources = await openProgramData(program, readPublicAsset);
  const session = new TrainingSession(program, streamBatches(sources), doc.training.batchSize, doc.training.seed);
  try {
    const weights = new Map([...session.variables].map(([key, v]) => [key, v.dataSync() as Float32Array]));
    const data = new Map<string, Uint8Array>();
    for (const f of exportedDataFiles(doc)) if (f.kind === 'asset') data.set(f.path, await readPublicAsset(f.asset));
    const project = pytorchProject(program, { library: pythonLibrary(), weights, data });
    if (!project.ok) throw new Error(`${file}: ${project.diagnostics.map((d) => `${d.node}: ${d.message}`).join('; ')}`);
    for (const f of project.files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.data);
    }
    const out: Record<string, Samples> = {};
    for (const plan of program.samplers) {
      const result = await runSampler(session, plan, { count: COUNT, seed: SEED, feedsFor: (op, count) => sources.get(op.id)!.validationBatch(0, count) });
      if (result.kind === 'tokens') out[result.sampler] = { kind: 'tokens', tokens: result.tokens, labels: result.labels ?? null };
      else {
        out[result.sampler] = { kind: 'tensor', shape: [...result.tensor.shape], values: Array.from(await result.tensor.data()), labels: result.labels ?? null };
        result.tensor.dispose();
      }
    }
    return out;
  } finally {
    session.dispose();
  }
}

const presets = readdirSync(PRESETS)
  .filter((f) => f.endsWith('.json') && (JSON.parse(readFileSync(join(PRESETS, f), 'utf8')) as GraphDocument).nodes.some((n) => /Sampler$/.test(n.kind)))
  .sort();

describe.skipIf(!hasTorch)("exported samplers draw GenComposer's samples", () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  it.each(presets)('%s: sample.py draws the same samples', async (file) => {
    const dir = mkdtempSync(join(tmpdir(), 'gencomposer-samples-'));
    try {
      const ours = await sampleInTfjs(file, dir);
      const run = spawnSync(PYTHON, [DRIVER, dir, String(SEED), String(COUNT)], { encoding: 'utf8', maxBuffer: 1 << 28 });
      if (run.status !== 0) throw new Error(`${file}: sample.py's loops failed:\n${run.stderr.split('\n').slice(-25).join('\n')}`);
      const theirs = JSON.parse(run.stdout) as Record<string, Samples>;
      expect(Object.keys(theirs).sort()).toEqual(Object.keys(ours).sort());
      for (const [name, mine] of Object.entries(ours)) {
        const other = theirs[name]!;
        expect(other.kind, `${file} ${name}`).toBe(mine.kind);
        expect(other.labels ?? null, `${file} ${name} labels`).toEqual(mine.labels ?? null);
        if (mine.kind === 'tokens') {
          expect((other as typeof mine).tokens, `${file} ${name} tokens`).toEqual(mine.tokens);
          continue;
        }
        const o = other as typeof mine;
        expect(o.shape, `${file} ${name} shape`).toEqual(mine.shape);
        let worst = 0;
        mine.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - o.values[i]!) - RELATIVE * Math.abs(o.values[i]!))));
        expect(worst, `${file} ${name}: largest difference beyond ${RELATIVE} relative`).toBeLessThanOrEqual(ABSOLUTE);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
    }
  }, 300_000);
});

describe.skipIf(!hasTorch)('sample.py and weight averages', () => {
  it('samples from averaged.safetensors over the weights unless --raw-weights', async () => {
    const loaded = loadText(readFileSync(join(PRESETS, 'vae.json'), 'utf8'));
    if (!loaded.ok) throw new Error('vae.json does not load');
    const compiled = compile(loaded.document, analyze(loaded.document));
    if (!compiled.ok) throw new Error('vae.json does not compile');
    const program = compiled.program;
    // Averages of all zeros make a decoder whose every pixel is sigmoid(0) = 0.5: unmistakable.
    const averaged = new Map(program.variables.map((v) => [v.key, new Float32Array(v.shape.reduce((a, b) => a * b, 1))]));
    const project = pytorchProject(program, { library: pythonLibrary(), averaged });
    if (!project.ok) throw new Error('vae.json does not export');
    expect(project.files.map((f) => f.path)).toContain('averaged.safetensors');
    const dir = mkdtempSync(join(tmpdir(), 'gencomposer-averaged-'));
    try {
      for (const f of project.files) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.data);
      }
      const spread = (extra: string[]) => {
        const run = spawnSync(PYTHON, ['sample.py', '--n', '4', ...extra], { cwd: dir, encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        const stats = spawnSync(PYTHON, ['-c', "import torch; s = torch.load('runs/train/samples/sampler.pt'); print((s - 0.5).abs().max().item())"], { cwd: dir, encoding: 'utf8' });
        return { printed: run.stdout, difference: Number(stats.stdout) };
      };
      const withAverages = spread([]);
      expect(withAverages.printed).toContain('averages:');
      expect(withAverages.difference).toBe(0);
      const raw = spread(['--raw-weights']);
      expect(raw.printed).not.toContain('averages:');
      expect(raw.difference).toBeGreaterThan(0.01);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
