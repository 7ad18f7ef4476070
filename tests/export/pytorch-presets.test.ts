/**
 * Every preset exported as a PyTorch project trains like GenComposer: from
 * the same initial weights, on the same batches, with the same random draws
 * (recorded from the TF.js session and replayed by gencomposer.ReplayRandom),
 * the losses of the first three training steps (each loss node, each
 * objective in the share cycle) equal TF.js's to 1e-4 relative. Step 1 checks
 * the forward pass of every objective; steps 2 and 3 the gradients and the
 * optimizers too. The batch is cut to 8 examples on both sides, to keep the
 * test short.
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
import { pytorchProject } from '../../src/core/export/pytorch/project.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createRandom, type RandomSource } from '../../src/core/base/random.ts';
import { stepSeed, TrainingSession } from '../../src/core/train/session.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { pythonLibrary } from '../../src/cli/export.ts';
import { PYTHON, torchAvailable } from '../oracle/cases.ts';

const DRIVER = fileURLToPath(new URL('./pytorch_steps.py', import.meta.url));
const PRESETS = fileURLToPath(new URL('../../graph-presets/', import.meta.url));
const STEPS = 3;
const BATCH = 8;
const RELATIVE = 1e-4;
const ABSOLUTE = 1e-5;

const hasTorch = torchAvailable('pytorch-presets');

interface Draw {
  kind: 'normal' | 'uniform' | 'integers';
  shape: number[];
  values: number[];
}
interface Tensor {
  dtype: string;
  shape: number[];
  values: number[];
}
interface StepRecord {
  objective: string;
  batch: Record<string, Record<string, Tensor>>;
  draws: Draw[];
  losses: Record<string, number>;
}

/** A random source that keeps every draw it hands out. */
function recording(source: RandomSource, draws: Draw[]): RandomSource {
  const keep = (kind: Draw['kind'], t: tf.Tensor) => {
    draws.push({ kind, shape: [...t.shape], values: Array.from(t.dataSync()) });
    return t;
  };
  return {
    normal: (shape) => keep('normal', source.normal(shape)),
    uniform: (shape) => keep('uniform', source.uniform(shape)),
    integers: (shape, max) => keep('integers', source.integers(shape, max)),
  };
}

/** Trains a preset three steps in TF.js, recording batches, draws and losses; writes its PyTorch project into `dir`. */
async function recordPreset(file: string, dir: string): Promise<StepRecord[]> {
  const loaded = loadText(readFileSync(join(PRESETS, file), 'utf8'));
  if (!loaded.ok) throw new Error(`${file}: ${loaded.diagnostics[0]?.message}`);
  const doc = loaded.document;
  const compiled = compile(doc, analyze(doc));
  if (!compiled.ok) throw new Error(`${file}: ${compiled.diagnostics.find((d) => d.severity === 'error')?.message}`);
  const program = compiled.program;
  const sources = await openProgramData(program, readPublicAsset);
  const stream = streamBatches(sources);
  const steps: StepRecord[] = [];
  const seed = doc.training.seed;
  const session = new TrainingSession(
    program,
    (op, step, size) => {
      const batch = stream(op, step, size);
      steps[step]!.batch[op.id] = Object.fromEntries(Object.entries(batch).map(([port, t]) => [port, { dtype: t.dtype, shape: [...t.shape], values: Array.from(t.dataSync()) }]));
      return batch;
    },
    BATCH,
    seed,
    (step) => recording(createRandom(stepSeed(seed, step)), steps[step]!.draws),
  );
  try {
    const initial = new Map([...session.variables].map(([key, v]) => [key, v.dataSync() as Float32Array]));
    const project = pytorchProject(program, { library: pythonLibrary(), weights: initial });
    if (!project.ok) throw new Error(`${file}: ${project.diagnostics.map((d) => `${d.node}: ${d.message}`).join('; ')}`);
    for (const f of project.files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.data);
    }
    for (let step = 0; step < STEPS; step++) {
      const objective = session.nextObjective!.id;
      steps[step] = { objective, batch: {}, draws: [], losses: {} };
      session.trainStep();
      const report = await session.readLosses();
      steps[step]!.losses = { ...report.objectives[objective]!.losses };
    }
  } finally {
    session.dispose();
  }
  return steps;
}

const presets = readdirSync(PRESETS).filter((f) => f.endsWith('.json')).sort();

describe.skipIf(!hasTorch)('exported PyTorch projects train like GenComposer', () => {
  // TF.js on wasm (float32, as the app in most browsers without WebGPU): the conv presets take minutes on the cpu backend.
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  it.each(presets)('%s: the first three steps give the same losses', async (file) => {
    const dir = mkdtempSync(join(tmpdir(), 'gencomposer-export-'));
    const steps = await recordPreset(file, dir);
    writeFileSync(join(dir, 'steps.json'), JSON.stringify({ batch: BATCH, steps: steps.map(({ objective, batch, draws }) => ({ objective, batch, draws })) }));
    const run = spawnSync(PYTHON, [DRIVER, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    rmSync(dir, { recursive: true, force: true });
    if (run.status !== 0) throw new Error(`${file}: the exported project failed:\n${run.stderr.split('\n').slice(-25).join('\n')}`);
    const torchLosses = JSON.parse(run.stdout) as Record<string, number>[];
    steps.forEach((step, i) => {
      for (const [node, ours] of Object.entries(step.losses)) {
        const theirs = torchLosses[i]![node];
        expect(theirs, `${file} step ${i + 1} (${step.objective}) loss ${node}`).toBeDefined();
        expect(Math.abs(ours - theirs!), `${file} step ${i + 1} (${step.objective}) loss ${node}: TF.js ${ours}, PyTorch ${theirs}`).toBeLessThanOrEqual(RELATIVE * Math.abs(theirs!) + ABSOLUTE);
      }
    });
  }, 300_000);
});
