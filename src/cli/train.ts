/**
 * `gencomposer train FILE`: trains a graph headless and writes the run's
 * record to a folder: metrics.jsonl, summary.json, samples.png (and
 * samples.txt for text), checkpoint/.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { validationLosses } from '../core/train/family-eval.ts';
import { runTraining } from '../core/train/loop.ts';
import { streamBatches } from '../core/train/program-data.ts';
import { TrainingSession } from '../core/train/session.ts';
import { parseFlags, UsageError } from './args.ts';
import { readCheckpointDir, writeCheckpointDir } from './checkpoint-files.ts';
import { evaluateRun } from './evaluate-run.ts';
import { progressLine } from './progress.ts';
import { writeSamples, type SamplesRecord } from './samples.ts';
import { CliError, loadProgram, openData, parseBackend, parseCount, startBackend } from './setup.ts';
import { parseDataFlags } from './user-files.ts';

export const TRAIN_USAGE = 'train FILE [--steps N] [--backend auto|webgpu|wasm|cpu] [--seed S] [--out DIR] [--log-every N] [--resume CHECKPOINT_DIR] [--judge CHECKPOINT_DIR] [--eval-samples N] [--validate-every N] [--data NAME=PATH ...]';

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    steps: { type: 'string' },
    backend: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'log-every': { type: 'string' },
    resume: { type: 'string' },
    judge: { type: 'string' },
    'eval-samples': { type: 'string' },
    'validate-every': { type: 'string' },
    data: { type: 'string', multiple: true },
    quiet: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file to train');
  const file = positionals[0]!;
  const requestedBackend = parseBackend(values.backend);
  const seed = parseCount('seed', values.seed, 2 ** 31 - 1);
  const logEvery = parseCount('log-every', values['log-every'], 1e6) ?? 50;
  if (logEvery < 1) throw new UsageError('--log-every must be at least 1');
  const evalSamples = parseCount('eval-samples', values['eval-samples'], 100_000);
  const validateEvery = parseCount('validate-every', values['validate-every'], 1e8);
  const dataFiles = parseDataFlags(values.data);

  const program = await loadProgram(file, { seed });
  const totalSteps = parseCount('steps', values.steps, 1e8) ?? program.document.training.steps;
  const out = values.out ?? join('runs', basename(file).replace(/\.json$/i, ''));
  const backend = await startBackend(requestedBackend);
  const log = (line: string) => {
    if (!values.quiet) process.stderr.write(`${line}\n`);
  };
  log(`backend: ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}${backend.fallbackReason ? ` — ${backend.fallbackReason}` : ''}`);

  const sources = await openData(file, program, dataFiles);
  const session = new TrainingSession(program, streamBatches(sources));
  try {
    if (values.resume) {
      await readCheckpointDir(values.resume, session);
      log(`resumed from ${values.resume} at step ${session.step}`);
    }
    mkdirSync(out, { recursive: true });
    const metricsPath = join(out, 'metrics.jsonl');
    writeFileSync(metricsPath, '');
    // Validation losses twenty times a run by default (0 turns them off), on at most 512 examples.
    const validation = validateEvery ?? Math.max(1, Math.ceil(totalSteps / 20));
    const validate = validation > 0 ? { every: validation, losses: () => session.withAveragedWeights(() => validationLosses(session, sources)) } : undefined;
    const record = await train(session, { totalSteps, logEvery, tty: process.stderr.isTTY === true && !values.quiet, log, metricsPath, ...(validate ? { validate } : {}) });

    const evalStarted = performance.now();
    // Samples and held-out numbers come from the weight averages where objectives keep them (ema).
    const { samples, evaluation } = await session.withAveragedWeights(async () => {
      const samples: SamplesRecord[] = await writeSamples(session, sources, out);
      log('evaluating on held-out data and scoring samples...');
      const evaluation = await evaluateRun(session, sources, { ...(values.judge ? { judgeDir: values.judge } : {}), ...(evalSamples ? { samples: evalSamples } : {}) });
      return { samples, evaluation };
    });
    await writeCheckpointDir(join(out, 'checkpoint'), session);
    const summary = {
      graph: program.document.meta.name,
      file,
      family: program.document.meta.family,
      backend: backend.name,
      adapter: backend.adapter ?? null,
      steps: session.step,
      seed: session.seed,
      batchSize: session.batchSize,
      status: record.status,
      ...(record.error ? { error: record.error } : {}),
      finalLosses: record.finalLosses,
      msPerStep: record.msPerStep,
      kernelsPerStep: record.kernelsPerStep,
      wallSeconds: record.wallSeconds,
      // Writing samples and evaluating, after training.
      evalSeconds: +((performance.now() - evalStarted) / 1000).toFixed(2),
      eval: evaluation,
      samples,
    };
    writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    log(`wrote ${out}/summary.json, metrics.jsonl, ${samples.map((s) => s.file).join(', ')}${samples.length ? ', ' : ''}checkpoint/`);
    if (record.error) throw new CliError(record.error, 1);
    return 0;
  } finally {
    session.dispose();
  }
}

interface TrainRecord {
  status: string;
  error?: string;
  finalLosses: Record<string, Record<string, number>>;
  msPerStep: number | null;
  kernelsPerStep: number | null;
  wallSeconds: number;
}

async function train(
  session: TrainingSession,
  options: {
    totalSteps: number;
    logEvery: number;
    tty: boolean;
    log: (line: string) => void;
    metricsPath: string;
    validate?: { every: number; losses: () => Promise<Record<string, number> | undefined> };
  },
): Promise<TrainRecord> {
  const started = performance.now();
  let kernelsPerStep: number | null = null;
  // Count the kernels of one real step, once the first steps have warmed up.
  if (session.step + 3 <= options.totalSteps) {
    session.trainStep();
    session.trainStep();
    const profile = await tf.profile(() => session.trainStep());
    kernelsPerStep = profile.kernels.length;
  }
  const finalLosses: TrainRecord['finalLosses'] = {};
  let timedSteps = 0;
  let timedSeconds = 0;
  let lastSteps = session.step;
  let lastElapsed = 0;
  const state = await runTraining(session, {
    totalSteps: options.totalSteps,
    logEvery: options.logEvery,
    ...(options.validate ? { evalEvery: options.validate.every } : {}),
    onEvent: async (event) => {
      if (event.type === 'checkpoint' && options.validate) {
        const validation = await options.validate.losses();
        if (validation) appendFileSync(options.metricsPath, `${JSON.stringify({ step: event.step, validation })}\n`);
        return;
      }
      if (event.type !== 'losses') return;
      const { report, stepsPerSecond, elapsedSeconds } = event;
      timedSteps += report.step - lastSteps;
      timedSeconds += elapsedSeconds - lastElapsed;
      lastSteps = report.step;
      lastElapsed = elapsedSeconds;
      const flat: Record<string, number> = {};
      for (const [id, objective] of Object.entries(report.objectives)) {
        finalLosses[id] = { total: objective.total, ...objective.losses };
        flat[id] = objective.total;
      }
      appendFileSync(options.metricsPath, `${JSON.stringify({ step: report.step, losses: finalLosses, stepsPerSecond: +stepsPerSecond.toFixed(3), elapsedSeconds: +elapsedSeconds.toFixed(3) })}\n`);
      const line = progressLine({ step: report.step, totalSteps: options.totalSteps, losses: flat, stepsPerSecond });
      if (options.tty) process.stderr.write(`\r\x1b[2K${line}`);
      else options.log(line);
    },
  });
  if (options.tty) process.stderr.write('\n');
  const record: TrainRecord = {
    status: state.status,
    finalLosses,
    msPerStep: timedSteps > 0 ? +((1000 * timedSeconds) / timedSteps).toFixed(3) : null,
    kernelsPerStep,
    wallSeconds: +((performance.now() - started) / 1000).toFixed(2),
  };
  if (state.status === 'failed') record.error = `${state.diagnostic.code} ${state.diagnostic.message}`;
  return record;
}
