/**
 * `gencomposer train FILE`: trains a graph headless and writes the run's
 * record to a folder: metrics.jsonl, summary.json, samples.png (and
 * samples.txt for text), checkpoint/.
 *
 * No run is lost: checkpoints are written atomically every 500 steps or 5
 * minutes (only when the weights are finite, so a diverged run keeps its
 * last good one), Ctrl+C or SIGTERM stops after the current step with a
 * checkpoint and the record, and resuming into the run's own folder carries
 * its metrics on.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { validationLosses } from '../core/train/family-eval.ts';
import { runTraining } from '../core/train/loop.ts';
import { streamBatches } from '../core/train/program-data.ts';
import { nonFinite, TrainingSession, type LossReport } from '../core/train/session.ts';
import { inert, printable } from '../core/base/text.ts';
import { parseFlags, UsageError } from './args.ts';
import { checkCheckpointModel, readCheckpointFiles, restoreCheckpointInto, writeCheckpointDir } from './checkpoint-files.ts';
import { evaluateRun } from './evaluate-run.ts';
import { catchInterrupts, SIGNAL_EXIT_CODES, type Interrupts } from './interrupt.ts';
import { progressLine } from './progress.ts';
import { prepareOutputFolder, writeFileAtomic } from './run-files.ts';
import { isFailed, writeSamples, type SamplesRecord, type WrittenSamples } from './samples.ts';
import { writeReconstructions } from './reconstructions.ts';
import { CliError } from './errors.ts';
import { loadProgram, openData, requireObjectives, parseBackend, parseCount, startBackend } from './setup.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { parseDataFlags } from './user-files.ts';

export const TRAIN_USAGE =
  'train FILE [--steps N] [--backend auto|webgpu|wasm|cpu] [--seed S] [--out DIR] [--log-every N] [--checkpoint-every N] [--resume CHECKPOINT_DIR] [--judge CHECKPOINT_DIR] [--eval-samples N] [--validate-every N] [--memory-budget MB] [--data NAME=PATH ...]';

/** Periodic checkpoints: every this many steps (--checkpoint-every) or this many seconds, whichever comes first. */
export const CHECKPOINT_EVERY_STEPS = 500;
export const CHECKPOINT_EVERY_SECONDS = 300;

/** Keeps the complete lines of a run's metrics up to `step` (later ones were written after its checkpoint). */
function keepMetricsUpTo(path: string, step: number): void {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // No metrics yet: start them.
  }
  const kept = text.split('\n').filter((line) => {
    try {
      const entry = JSON.parse(line) as { step?: unknown };
      return typeof entry.step === 'number' && entry.step <= step;
    } catch {
      return false; // a line cut short by a crash
    }
  });
  writeFileAtomic(path, kept.map((line) => `${line}\n`).join(''));
}

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    steps: { type: 'string' },
    backend: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'log-every': { type: 'string' },
    'checkpoint-every': { type: 'string' },
    resume: { type: 'string' },
    judge: { type: 'string' },
    'eval-samples': { type: 'string' },
    'validate-every': { type: 'string' },
    data: { type: 'string', multiple: true },
    quiet: { type: 'boolean', default: false },
    ...MEMORY_BUDGET_FLAG,
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file to train');
  const file = positionals[0]!;
  const requestedBackend = parseBackend(values.backend);
  const seedFlag = parseCount('seed', values.seed, 2 ** 31 - 1);
  const logEvery = parseCount('log-every', values['log-every'], 1e6) ?? 50;
  if (logEvery < 1) throw new UsageError('--log-every must be at least 1');
  const checkpointEvery = parseCount('checkpoint-every', values['checkpoint-every'], 1e8) ?? CHECKPOINT_EVERY_STEPS;
  const evalSamples = parseCount('eval-samples', values['eval-samples'], 100_000);
  const validateEvery = parseCount('validate-every', values['validate-every'], 1e8);
  const dataFiles = parseDataFlags(values.data);
  const memoryBudgetMB = parseMemoryBudget(values['memory-budget']);
  const out = values.out ?? join('runs', basename(file).replace(/\.json$/i, ''));
  // Before anything slow: a run that cannot be written is refused at once.
  prepareOutputFolder(out);

  const resume = values.resume ? { dir: values.resume, checkpoint: await readCheckpointFiles(values.resume) } : undefined;
  // A resumed run keeps its seed (the data split and every step's randomness follow from it).
  const savedSeed = resume?.checkpoint.manifest.model?.seed;
  if (seedFlag !== undefined && savedSeed !== undefined && seedFlag !== savedSeed) {
    throw new CliError(inert`--seed ${seedFlag}: the checkpoint in ${resume!.dir} was trained with seed ${savedSeed}; resume without --seed, or start a new run`, 1);
  }
  const program = await loadProgram(file, { seed: seedFlag ?? savedSeed, memoryBudgetMB });
  requireObjectives(file, program);
  if (resume) checkCheckpointModel(resume.dir, program, resume.checkpoint, 'resume');
  const totalSteps = parseCount('steps', values.steps, 1e8) ?? program.document.training.steps;
  const backend = await startBackend(requestedBackend);
  // Lines quote file names and checkpoints: printed inert.
  const log = (line: string) => {
    if (!values.quiet) process.stderr.write(`${printable(line)}\n`);
  };
  log(`backend: ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}${backend.fallbackReason ? ` — ${backend.fallbackReason}` : ''}`);

  const sources = await openData(file, program, dataFiles);
  const session = new TrainingSession(program, streamBatches(sources));
  const checkpointDir = join(out, 'checkpoint');
  const interrupts = catchInterrupts((signal) => log(`${signal}: stopping after this step to save a checkpoint (again to quit at once)`));
  try {
    const metricsPath = join(out, 'metrics.jsonl');
    if (resume) {
      restoreCheckpointInto(resume.dir, session, resume.checkpoint, 'resume');
      log(`resumed from ${resume.dir} at step ${session.step}`);
    }
    if (resume && resolve(resume.dir) === resolve(checkpointDir)) keepMetricsUpTo(metricsPath, session.step);
    else writeFileAtomic(metricsPath, '');
    // Validation losses twenty times a run by default (0 turns them off), on at most 512 examples.
    const validation = validateEvery ?? Math.max(1, Math.ceil(totalSteps / 20));
    const validate = validation > 0 ? { every: validation, losses: () => session.withAveragedWeights(() => validationLosses(session, sources)) } : undefined;
    let savedStep: number | undefined = resume ? session.step : undefined;
    const save = async () => {
      if (savedStep === session.step) return;
      const refused = await writeCheckpointDir(checkpointDir, session);
      if (refused) log(`checkpoint not saved: ${refused}`);
      else savedStep = session.step;
    };
    const record = await train(session, {
      totalSteps,
      logEvery,
      tty: process.stderr.isTTY === true && !values.quiet,
      log,
      metricsPath,
      interrupts,
      save: { every: checkpointEvery, write: save },
      ...(validate ? { validate } : {}),
    });
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
      ...(interrupts.signal ? { signal: interrupts.signal } : {}),
      finalLosses: record.finalLosses,
      msPerStep: record.msPerStep,
      kernelsPerStep: record.kernelsPerStep,
      dispatchesPerStep: record.dispatchesPerStep,
      wallSeconds: record.wallSeconds,
    };
    const writeSummary = (more: Record<string, unknown>) => writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify({ ...summary, ...more }, null, 2)}\n`);

    if (record.status === 'failed') {
      // The weights have diverged: the last good checkpoint stays as it is.
      const kept = savedStep === undefined ? 'no checkpoint was saved' : `the checkpoint of step ${savedStep} is kept in ${checkpointDir}`;
      writeSummary({ checkpointStep: savedStep ?? null });
      throw new CliError(inert`${record.error} (${kept})`, 1);
    }
    await save();
    if (savedStep !== session.step) throw new CliError(`the run at step ${session.step} could not be saved; ${savedStep === undefined ? 'no checkpoint was saved' : `the checkpoint of step ${savedStep} is kept`}`, 1);
    if (interrupts.signal) {
      writeSummary({ checkpointStep: savedStep });
      log(`stopped at step ${session.step}; saved ${checkpointDir}. Continue with: gencomposer train ${file} --resume ${checkpointDir}${values.out ? ` --out ${out}` : ''}`);
      return SIGNAL_EXIT_CODES[interrupts.signal];
    }
    // The training is safe on disk, and so is its record: a signal from here on ends sampling and evaluation at once.
    writeSummary({ checkpointStep: savedStep });
    interrupts.exitOnSignal();

    const evalStarted = performance.now();
    let reconstructions: string[] = [];
    // Samples and held-out numbers come from the weight averages where objectives keep them (ema).
    const { samples, evaluation } = await session.withAveragedWeights(async () => {
      const samples: SamplesRecord[] = await writeSamples(session, sources, out);
      reconstructions = await writeReconstructions(session, sources, out);
      log('evaluating on held-out data and scoring samples...');
      try {
        return { samples, evaluation: await evaluateRun(session, sources, { ...(values.judge ? { judgeDir: values.judge } : {}), ...(evalSamples ? { samples: evalSamples } : {}) }) };
      } catch (error) {
        if (error instanceof CliError) throw error;
        return { samples, evaluation: { error: error instanceof Error ? error.message : String(error) } };
      }
    });
    // Writing samples and evaluating, after training.
    writeSummary({ checkpointStep: savedStep, evalSeconds: +((performance.now() - evalStarted) / 1000).toFixed(2), eval: evaluation, samples });
    const written = [...samples.filter((s): s is WrittenSamples => !isFailed(s)).map((s) => s.file), ...reconstructions];
    log(`wrote ${out}/summary.json, metrics.jsonl, ${written.join(', ')}${written.length ? ', ' : ''}checkpoint/`);
    const failed = samples.find(isFailed);
    if (failed) throw new CliError(inert`${file}: ${failed.sampler}: the sampler failed after training: ${failed.error} (the checkpoint and summary.json are written)`, 1);
    if ('error' in evaluation) throw new CliError(inert`${file}: evaluation failed after training: ${String(evaluation.error)} (the checkpoint, samples and summary.json are written)`, 1);
    return 0;
  } finally {
    interrupts.dispose();
    session.dispose();
  }
}

interface TrainRecord {
  /** done, failed, or interrupted (by a signal). */
  status: string;
  error?: string;
  finalLosses: Record<string, Record<string, number>>;
  msPerStep: number | null;
  kernelsPerStep: number | null;
  /** Compute dispatches of that step on WebGPU (null elsewhere). */
  dispatchesPerStep: number | null;
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
    interrupts: Interrupts;
    save: { every: number; write: () => Promise<void> };
    validate?: { every: number; losses: () => Promise<Record<string, number> | undefined> };
  },
): Promise<TrainRecord> {
  const started = performance.now();
  let kernelsPerStep: number | null = null;
  let dispatchesPerStep: number | null = null;
  // Keyed by objective ids from the document: a null prototype keeps names such as "__proto__" plain keys.
  const finalLosses: TrainRecord['finalLosses'] = Object.create(null);
  let timedSteps = 0;
  let timedSeconds = 0;
  let lastSteps = session.step;
  let lastElapsed = 0;
  const writeLosses = (report: LossReport, stepsPerSecond: number, elapsedSeconds: number) => {
    const flat: Record<string, number> = Object.create(null);
    // Numbers to watch (a quantizer's perplexity), by op and port: shown with the losses, not part of them.
    const metrics: Record<string, number> = Object.create(null);
    for (const [id, objective] of Object.entries(report.objectives)) {
      finalLosses[id] = { total: objective.total, ...objective.losses };
      flat[id] = objective.total;
      Object.assign(metrics, objective.metrics);
    }
    Object.assign(flat, metrics);
    const watched = Object.keys(metrics).length > 0 ? { metrics } : {};
    appendFileSync(options.metricsPath, `${JSON.stringify({ step: report.step, losses: finalLosses, ...watched, stepsPerSecond: +stepsPerSecond.toFixed(3), elapsedSeconds: +elapsedSeconds.toFixed(3) })}\n`);
    const line = progressLine({ step: report.step, totalSteps: options.totalSteps, losses: flat, stepsPerSecond });
    if (options.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else options.log(line);
  };
  const state = await runTraining(session, {
    totalSteps: options.totalSteps,
    logEvery: options.logEvery,
    ...(options.validate ? { evalEvery: options.validate.every } : {}),
    saveEvery: { steps: options.save.every, seconds: options.save.every > 0 ? CHECKPOINT_EVERY_SECONDS : 0 },
    control: () => (options.interrupts.signal ? 'stop' : 'run'),
    // The third step of this process: first-use costs (kernel compilation, memory growth) are behind it.
    profileStep: session.step + 3,
    onEvent: async (event) => {
      if (event.type === 'save') return options.save.write();
      if (event.type === 'kernels') {
        kernelsPerStep = event.kernels;
        dispatchesPerStep = event.dispatches;
        return;
      }
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
      writeLosses(report, stepsPerSecond, elapsedSeconds);
    },
  });
  let error = state.status === 'failed' ? `${state.diagnostic.code} ${state.diagnostic.message}` : undefined;
  if (state.status === 'stopped') {
    // The steps since the last log: recorded, and checked before their weights are saved.
    const report = await session.readLosses();
    if (Object.keys(report.objectives).length > 0) writeLosses(report, 0, (performance.now() - started) / 1000);
    const bad = nonFinite(report);
    if (bad) error = `GC206 Training stopped at step ${session.step}: the loss of objective "${bad.objective}" became ${bad.value}.`;
  }
  if (options.tty) process.stderr.write('\n');
  return {
    status: error ? 'failed' : state.status === 'stopped' ? 'interrupted' : state.status,
    ...(error ? { error } : {}),
    finalLosses,
    msPerStep: timedSeconds > 0 && timedSteps > 0 ? +((1000 * timedSeconds) / timedSteps).toFixed(3) : null,
    kernelsPerStep,
    dispatchesPerStep,
    wallSeconds: +((performance.now() - started) / 1000).toFixed(2),
  };
}
