/**
 * Classifier-free guidance against class accuracy: samples a trained
 * conditioned diffusion model (its first sampler, labels each digit in
 * turn) at several guidance scales from one checkpoint, and scores them
 * with the MNIST judge: classAccuracy (the digit asked for is the digit the
 * judge sees), classCoverage and meanConfidence.
 * Run: npx tsx bench/guidance.ts GRAPH CHECKPOINT_DIR [SAMPLES=100] [W ...=0 1 2 3 5]
 * e.g. npx tsx bench/guidance.ts graph-presets/diffusion-guided.json runs/diffusion-guided/checkpoint 100 0 1 3
 */
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpointFiles, restoreCheckpointInto } from '../src/cli/checkpoint-files.ts';
import { DEFAULT_JUDGE, loadJudge } from '../src/cli/evaluate-run.ts';
import { loadProgram, openData, startBackend } from '../src/cli/setup.ts';
import { classAccuracy, scoreDigits } from '../src/core/train/family-eval.ts';
import { compareWithTest } from '../src/core/train/judge.ts';
import { streamBatches } from '../src/core/train/program-data.ts';
import { runSampler, sampleValueRange } from '../src/core/train/sampling.ts';
import { TrainingSession } from '../src/core/train/session.ts';

const [file, dir, samples = '100', ...scales] = process.argv.slice(2);
if (!file || !dir) throw new Error('usage: npx tsx bench/guidance.ts GRAPH CHECKPOINT_DIR [SAMPLES] [W ...]');
const guidances = (scales.length > 0 ? scales : ['0', '1', '2', '3', '5']).map(Number);
await startBackend('wasm');
const program = await loadProgram(file);
const checkpoint = await readCheckpointFiles(dir);
const session = new TrainingSession(program, streamBatches(await openData(file, program)));
restoreCheckpointInto(dir, session, checkpoint, 'weights');
const judge = await loadJudge(DEFAULT_JUDGE);
const plan = program.samplers[0]!;
const [low, high] = sampleValueRange(program);
await session.withAveragedWeights(async () => {
  for (const guidance of guidances) {
    // The sampler's plan with another guidance scale: the same denoiser, labels and seed.
    const guided = { ...plan, op: { ...plan.op, params: { ...(plan.op.params as object), guidance } } };
    const started = performance.now();
    const result = await runSampler(session, guided, { count: Number(samples), seed: 1234, condition: { kind: 'each-class' } });
    if (result.kind !== 'tensor' || !result.labels) throw new Error(`${result.sampler} does not make conditioned images`);
    const images = tf.tidy(() => tf.clipByValue(tf.div(tf.sub(tf.reshape(result.tensor, [-1, 28, 28, 1]), low), high - low), 0, 1));
    const { probs, features } = await judge.look(images);
    const { classCoverage, meanConfidence } = scoreDigits(probs);
    const { fid, precision, recall } = compareWithTest(judge, features);
    console.log(JSON.stringify({ guidance, classAccuracy: classAccuracy(probs, result.labels), classCoverage, meanConfidence: +meanConfidence.toFixed(3), fid: +fid.toFixed(2), precision, recall, seconds: +((performance.now() - started) / 1000).toFixed(1) }));
    tf.dispose([images, result.tensor]);
  }
});
judge.dispose();
session.dispose();
