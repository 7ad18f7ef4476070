/**
 * Kernels (tf.profile), GPU compute dispatches and uploads (on WebGPU) of one
 * training step of every preset, at the preset's own batch size: the
 * deterministic half of docs/performance.md's engine table.
 *
 * Run: npm run bench:counts -- [--backend webgpu|wasm|cpu] [PRESET ...]
 *
 * A graph with several objectives (a GAN's D and G) is counted over one
 * whole cycle of them and reported per step. Two warmup cycles come first,
 * so the optimizer's state exists and kernels are compiled.
 */
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { countGpuDispatches, countGpuUploads } from '../src/core/train/backends/gpu-dispatches.ts';
import { streamBatches } from '../src/core/train/program-data.ts';
import { TrainingSession } from '../src/core/train/session.ts';
import { loadProgram, openData, parseBackend, startBackend } from '../src/cli/setup.ts';

const { values, positionals } = parseArgs({ options: { backend: { type: 'string' } }, allowPositionals: true });
const backend = await startBackend(parseBackend(values.backend ?? 'webgpu'));
const names = positionals.length > 0 ? positionals : readdirSync('graph-presets').filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
console.log(`backend ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}`);
console.log('| preset | batch | kernels / step | GPU dispatches / step | uploads / step |');
console.log('| --- | --- | --- | --- | --- |');
for (const name of names) {
  const file = `graph-presets/${name}.json`;
  const program = await loadProgram(file);
  const session = new TrainingSession(program, streamBatches(await openData(file, program)));
  const cycle = program.objectives.reduce((n, o) => n + o.share, 0);
  for (let i = 0; i < 2 * cycle; i++) session.trainStep();
  await session.readLosses();
  let kernels = 0;
  for (let i = 0; i < cycle; i++) kernels += (await tf.profile(() => session.trainStep())).kernels.length;
  await session.readLosses();
  const dispatches = await countGpuDispatches(async () => {
    for (let i = 0; i < cycle; i++) session.trainStep();
    await session.readLosses();
  });
  const uploads = await countGpuUploads(async () => {
    for (let i = 0; i < cycle; i++) session.trainStep();
    await session.readLosses();
  });
  const perStep = (n: number | undefined) => (n === undefined ? '-' : String(+(n / cycle).toFixed(1)));
  console.log(`| ${name} | ${session.batchSize} | ${perStep(kernels)} | ${perStep(dispatches)} | ${perStep(uploads)} |`);
  session.dispose();
}
