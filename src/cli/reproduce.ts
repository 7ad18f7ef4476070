/**
 * `gencomposer reproduce [PRESET...] [--seeds N]`: trains each preset with
 * its own settings once per seed (0 … N − 1), each run a `gencomposer
 * train` of its own process (a run's memory ends with it), and writes what
 * they give: docs/results/results.json (every run's numbers), the README's
 * results table between its markers, and each preset's pictures from seed
 * 0 in docs/results/. The table is this command's output, never typed.
 *
 * No run is lost: a run whose summary holds its evaluation is kept and not
 * trained again; one stopped part way (a checkpoint, no evaluation) resumes
 * from its checkpoint. So an interrupted reproduce picks up where it was.
 * Each run folder records the fingerprint of the preset it was trained from
 * (reproduce.json): after the model or its training changes, its runs
 * train again.
 * Generated digits are judged by seed 0 of the mnist-classifier preset,
 * trained first when missing. With --steps (a quick check) or --presets
 * DIR (graphs of your own), nothing under docs/ or the README is touched:
 * the table goes to OUT/results.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inert } from '../core/base/text.ts';
import { loadText } from '../core/graph/load.ts';
import { canonicalJson } from '../core/graph/save.ts';
import { modelIdentity } from '../core/train/checkpoint.ts';
import { parseFlags, UsageError } from './args.ts';
import { CliError } from './errors.ts';
import { makeFolders, writeFileAtomic } from './run-files.ts';
import { metricsOfSummary, renderResults, replaceResults, type PresetResult, type ResultsRecord, type SeedResult } from './results-table.ts';
import { loadProgram, parseBackend, parseCount } from './setup.ts';
import { judgedSamplers } from '../core/train/roles.ts';

export const REPRODUCE_USAGE = 'reproduce [PRESET...] [--seeds N] [--steps N] [--out DIR] [--presets DIR] [--backend auto|webgpu|wasm|cpu]';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'gencomposer.js');
const PRESETS = join(ROOT, 'graph-presets');
const JUDGE_FILE = join(PRESETS, 'mnist-classifier.json');
const RESULTS_DIR = join(ROOT, 'docs', 'results');
const README = join(ROOT, 'README.md');
/** The judge of generated digits, and the first row of the table. */
const JUDGE = 'mnist-classifier';

interface Summary {
  status?: string;
  steps?: number;
  seed?: number;
  backend?: string;
  msPerStep?: number;
  wallSeconds?: number;
  evalSeconds?: number;
  eval?: Record<string, unknown>;
  samples?: { file?: string; sampler?: string }[];
}

/** A JSON file a run folder may hold; undefined when it is missing or cut short (the run is then trained or resumed). */
function readRunFile<T>(dir: string, name: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const readSummary = (dir: string) => readRunFile<Summary>(dir, 'summary.json');

/**
 * The results record so far. A damaged one is refused, not overwritten:
 * it holds the numbers of presets this run does not train again.
 */
function readRecord(path: string): ResultsRecord {
  if (!existsSync(path)) return { presets: {} };
  let record: unknown;
  try {
    record = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(inert`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)}); mend it or move it away`, 1);
  }
  const presets = (record as { presets?: unknown } | null)?.presets;
  if (typeof presets !== 'object' || presets === null || Array.isArray(presets)) throw new CliError(inert`${path}: "presets" is not an object of results by preset; mend it or move it away`, 1);
  return record as ResultsRecord;
}

/** The graphs in a presets folder, the judge first where it is one of them. */
function allPresets(dir: string): string[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
  return names.includes(JUDGE) ? [JUDGE, ...names.filter((n) => n !== JUDGE)] : names;
}

/** `gencomposer train` in a process of its own, its progress on this stderr; resolves to its exit code. */
function train(args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'train', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? 130 : 1)));
  });
}

/** A finished run: its summary holds the evaluation, and it trained the steps asked for. */
const finished = (summary: Summary, steps: number | undefined): boolean =>
  summary.status === 'done' && summary.eval !== undefined && !('error' in summary.eval) && (steps === undefined || summary.steps === steps);

/**
 * What a run's numbers depend on in its preset: the model as checkpoints
 * identify it (nodes, params, wiring, optimizers, data), the samplers'
 * params, and the training settings but the seed. A run trained from
 * another fingerprint is not kept; editing a description or moving nodes
 * keeps the runs. A file that does not load is fingerprinted by its bytes
 * (train then says what is wrong with it).
 */
export function presetFingerprint(file: string): string {
  const text = readFileSync(file, 'utf8');
  const loaded = loadText(text);
  if (!loaded.ok) return createHash('sha256').update(text).digest('hex');
  const document = loaded.document;
  const { seed: _seed, ...training } = document.training;
  const model = modelIdentity(document, document.training.objectives, { samplerParams: true }).fingerprint;
  return createHash('sha256').update(canonicalJson({ model, training })).digest('hex');
}

/** The preset fingerprint a run folder was trained from (reproduce.json), if reproduce trained it. */
function trainedFrom(dir: string): string | undefined {
  return readRunFile<{ preset?: string }>(dir, 'reproduce.json')?.preset;
}

/** Trains one seed of a preset into `dir` unless a finished run of the same version of the preset is there; the summary after. */
async function runSeed(name: string, file: string, seed: number, dir: string, options: { steps?: number; backend: string; judge?: string }): Promise<Summary> {
  const fingerprint = presetFingerprint(file);
  const current = trainedFrom(dir) === fingerprint;
  const kept = current ? readSummary(dir) : undefined;
  if (kept && finished(kept, options.steps)) {
    process.stderr.write(`${name}, seed ${seed}: kept the finished run in ${dir}\n`);
    return kept;
  }
  // A run stopped part way, or whose evaluation did not finish, goes on from its checkpoint; one of other steps starts again.
  const checkpoint = join(dir, 'checkpoint');
  const sameSteps = options.steps === undefined || kept?.steps === undefined || kept.steps <= options.steps;
  const resume = current && existsSync(join(checkpoint, 'model.json')) && sameSteps ? ['--resume', checkpoint] : [];
  const stale = !current && existsSync(join(dir, 'summary.json')) ? ' (the run there is of another version of the preset: trained again)' : '';
  process.stderr.write(`${name}, seed ${seed}: ${resume.length ? `resuming from ${checkpoint}` : 'training'} into ${dir}${stale}\n`);
  makeFolders(dir);
  writeFileAtomic(join(dir, 'reproduce.json'), `${JSON.stringify({ preset: fingerprint })}\n`);
  const args = [file, '--out', dir, '--backend', options.backend, ...(resume.length ? resume : ['--seed', String(seed)])];
  if (options.steps !== undefined) args.push('--steps', String(options.steps));
  if (options.judge) args.push('--judge', options.judge);
  const code = await train(args);
  const summary = readSummary(dir);
  if (code !== 0 || !summary || !finished(summary, options.steps)) throw new CliError(inert`${name}, seed ${seed}: the run in ${dir} did not finish (exit ${code}); run reproduce again to resume it`, 1);
  return summary;
}

/** What the record keeps of one finished run in `dir`; its date is when its summary was written. */
function seedResult(dir: string, summary: Summary): SeedResult {
  const evaluation = summary.eval!;
  const judge = evaluation.judge as { reference?: SeedResult['judgeReference']; testAccuracy?: number } | undefined;
  return {
    seed: summary.seed ?? 0,
    date: statSync(join(dir, 'summary.json')).mtime.toISOString().slice(0, 10),
    backend: summary.backend ?? 'unknown',
    steps: summary.steps ?? 0,
    msPerStep: summary.msPerStep ?? 0,
    wallSeconds: summary.wallSeconds ?? 0,
    evalSeconds: summary.evalSeconds ?? 0,
    metrics: metricsOfSummary(summary),
    ...(judge && typeof judge === 'object' && judge.reference ? { judgeReference: judge.reference, judgeTestAccuracy: judge.testAccuracy ?? 0 } : {}),
  };
}

/** Seed 0's pictures into docs/results: the first sampler's as NAME.png, the others' and the reconstructions with their own suffix. */
function copyPictures(name: string, dir: string, summary: Summary): string[] {
  const files = (summary.samples ?? []).flatMap((s) => (s.file ? [s.file] : []));
  if (existsSync(join(dir, 'reconstructions.png'))) files.push('reconstructions.png');
  return files.map((file, i) => {
    const target = i === 0 ? `${name}.png` : `${name}-${basename(file, '.png').replace(/^samples-?/, '') || String(i)}.png`;
    copyFileSync(join(dir, file), join(RESULTS_DIR, target));
    return target;
  });
}

export async function reproduceCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    seeds: { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    presets: { type: 'string' },
  });
  const seeds = parseCount('seeds', values.seeds, 100) ?? 3;
  if (seeds < 1) throw new UsageError('--seeds must be at least 1');
  const steps = parseCount('steps', values.steps, 1e8);
  const backend = parseBackend(values.backend);
  const out = resolve(values.out ?? join('runs', 'reproduce'));
  const presets = resolve(values.presets ?? PRESETS);
  const known = allPresets(presets);
  const fileOf = (name: string) => (name === JUDGE && !existsSync(join(presets, `${JUDGE}.json`)) ? JUDGE_FILE : join(presets, `${name}.json`));
  for (const name of positionals) if (!known.includes(name)) throw new UsageError(inert`no preset named "${name}" (the presets: ${known.join(', ')})`);
  const chosen = positionals.length ? known.filter((n) => positionals.includes(n)) : known;
  // Shortened runs are a check of the command, and other graphs are not the presets: their tables stay in OUT.
  const official = steps === undefined && presets === PRESETS;
  const recordPath = official ? join(RESULTS_DIR, 'results.json') : join(out, 'results.json');
  const record = readRecord(recordPath);
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'})`;
  const dirOf = (name: string, seed: number) => join(out, name, `seed-${seed}`);

  // The judge: seed 0 of the classifier preset, trained first when a chosen preset makes digits and it is missing.
  const judgeDir = join(dirOf(JUDGE, 0), 'checkpoint');
  const judged = async (name: string) => judgedSamplers(await loadProgram(fileOf(name))).length > 0;
  const needsJudge = !chosen.includes(JUDGE) && (await Promise.all(chosen.map(judged))).some(Boolean);
  if (needsJudge) await runSeed(JUDGE, fileOf(JUDGE), 0, dirOf(JUDGE, 0), { backend, ...(steps !== undefined ? { steps } : {}) });

  for (const name of chosen) {
    const summaries: Summary[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      summaries.push(await runSeed(name, fileOf(name), seed, dirOf(name, seed), { backend, ...(steps !== undefined ? { steps } : {}), ...(name === JUDGE ? {} : { judge: judgeDir }) }));
    }
    const preset: PresetResult = {
      file: relative(process.cwd(), fileOf(name)),
      split: String(summaries[0]!.eval!.split ?? 'held out'),
      command: `npx gencomposer train ${official ? `graph-presets/${name}.json` : relative(process.cwd(), fileOf(name))} --seed S`,
      machine,
      seeds: summaries.map((summary, seed) => seedResult(dirOf(name, seed), summary)),
    };
    record.presets[name] = preset;
    writeFileAtomic(recordPath, `${JSON.stringify(record, null, 2)}\n`);
    if (official) {
      makeFolders(RESULTS_DIR);
      const pictures = copyPictures(name, dirOf(name, 0), summaries[0]!);
      process.stderr.write(`${name}: ${seeds} seed${seeds === 1 ? '' : 's'} recorded${pictures.length ? `; pictures ${pictures.join(', ')}` : ''}\n`);
    }
    // The table after each preset, so a long reproduce shows its progress in the README as it goes.
    const table = renderResults(record, known);
    if (official) writeFileAtomic(README, replaceResults(readFileSync(README, 'utf8'), table));
    else writeFileAtomic(join(out, 'results.md'), `${table}\n`);
  }
  process.stderr.write(`wrote ${official ? `${README} (results table), ${recordPath}` : `${join(out, 'results.md')}, ${recordPath}`}\n`);
  return 0;
}
