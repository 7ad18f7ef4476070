/**
 * `gencomposer export FILE --to pytorch --out DIR [--checkpoint DIR]`:
 * writes the graph as a PyTorch project (docs/export.md). The weights are
 * the checkpoint's, or the seed's initial weights without one.
 * `--to onnx` writes each sampler's networks as ONNX models instead
 * (export-onnx.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inert, printable } from '../core/base/text.ts';
import { pytorchProject } from '../core/export/pytorch/project.ts';
import { exportedDataFiles } from '../core/export/data-files.ts';
import { readPublicAsset } from '../core/data/assets.node.ts';
import { UserDataError } from '../core/data/user-file.ts';
import type { Program } from '../core/compiler/program.ts';
import { userFileReader, parseDataFlags } from './user-files.ts';
import { TrainingSession } from '../core/train/session.ts';
import { parseFlags, UsageError } from './args.ts';
import { checkCheckpointModel, readCheckpointFiles, restoreCheckpointInto } from './checkpoint-files.ts';
import { CliError } from './errors.ts';
import { formatDiagnostic } from './format.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { makeFolders, prepareOutputFolder, writeFileAtomic } from './run-files.ts';
import { loadProgram, startBackend } from './setup.ts';
import { exportOnnxFiles, parseBatch } from './export-onnx.ts';

export const EXPORT_USAGE = 'export FILE --to pytorch|onnx --out DIR [--checkpoint DIR] [--batch N (onnx)] [--memory-budget MB] [--data NAME=PATH ... (pytorch)]';

const TARGETS = ['pytorch', 'onnx'] as const;

/** The gencomposer Python package that every PyTorch project carries. */
export const PYTHON_PACKAGE_DIR = fileURLToPath(new URL('../../python/gencomposer/', import.meta.url));

export function pythonLibrary(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(PYTHON_PACKAGE_DIR).sort()) if (name.endsWith('.py')) files[name] = readFileSync(join(PYTHON_PACKAGE_DIR, name), 'utf8');
  return files;
}

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    to: { type: 'string' },
    out: { type: 'string' },
    checkpoint: { type: 'string' },
    data: { type: 'string', multiple: true },
    batch: { type: 'string' },
    ...MEMORY_BUDGET_FLAG,
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file');
  const to = values.to;
  if (to === undefined || !(TARGETS as readonly string[]).includes(to)) throw new UsageError(inert`--to must be one of ${TARGETS.join(', ')}${to === undefined ? '' : `, not "${to}"`}`);
  if (!values.out) throw new UsageError(`--out DIR is required: the folder to write the ${to === 'onnx' ? 'models' : 'project'} into`);
  const file = positionals[0]!;
  const memoryBudgetMB = parseMemoryBudget(values['memory-budget']);
  if (to === 'onnx') {
    // The models hold networks, not data: a Data node a network reads is one of its inputs.
    if (values.data) throw new UsageError('--data applies to --to pytorch (an ONNX model reads no data files)');
    return exportOnnxFiles(file, { out: values.out, checkpoint: values.checkpoint, batch: parseBatch(values.batch), memoryBudgetMB });
  }
  if (values.batch !== undefined) throw new UsageError('--batch applies to --to onnx (the PyTorch project takes any batch)');
  let program = await loadProgram(file, { memoryBudgetMB });

  let weights: Map<string, Float32Array> | undefined;
  let weightsFrom: string | undefined;
  let averaged: Map<string, Float32Array> | undefined;
  if (values.checkpoint) {
    const checkpoint = await readCheckpointFiles(values.checkpoint);
    const seedOfRun = checkpoint.manifest.model?.seed;
    if (seedOfRun !== undefined && seedOfRun !== program.document.training.seed) program = await loadProgram(file, { seed: seedOfRun, memoryBudgetMB });
    checkCheckpointModel(values.checkpoint, program, checkpoint, 'weights');
    await startBackend('cpu');
    const session = new TrainingSession(program, () => ({}));
    try {
      restoreCheckpointInto(values.checkpoint, session, checkpoint, 'weights');
      const snapshot = async () => new Map([...session.variables].map(([key, v]) => [key, v.dataSync() as Float32Array]));
      weights = await snapshot();
      // Samples come from an objective's weight average where the graph keeps one, in the app and in sample.py.
      if (program.objectives.some((o) => o.optimizer.ema > 0)) averaged = await session.withAveragedWeights(snapshot);
      weightsFrom = `the weights of checkpoint step ${checkpoint.manifest.step}`;
    } finally {
      session.dispose();
    }
  }

  const data = await projectData(file, program, parseDataFlags(values.data));
  const result = pytorchProject(program, { library: pythonLibrary(), data, ...(weights ? { weights } : {}), ...(averaged ? { averaged } : {}), ...(weightsFrom ? { weightsFrom } : {}) });
  if (!result.ok) throw new CliError(result.diagnostics.map((d) => formatDiagnostic(file, d)).join('\n'), 1);
  prepareOutputFolder(values.out);
  for (const f of result.files) {
    const path = join(values.out, f.path);
    makeFolders(dirname(path));
    writeFileAtomic(path, f.data);
  }
  console.log(printable(`${values.out}: ${result.files.length} files, ${result.parameters.length} parameter tensors`));
  return 0;
}

/** The data files the graph's Data nodes read, by their path in the project: GenComposer's own and the user's (a folder of images file by file). */
export async function projectData(file: string, program: Program, overrides: ReadonlyMap<string, string>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const readUser = userFileReader(file, overrides);
  try {
    for (const f of exportedDataFiles(program.document)) {
      if (f.kind === 'asset') {
        out.set(f.path, await readPublicAsset(f.asset));
        continue;
      }
      const read = await readUser(f.name);
      if (read instanceof Uint8Array) out.set(f.path, read);
      else for (const entry of read.entries) out.set(`${f.path}/${entry.path}`, await entry.read());
    }
  } catch (error) {
    if (error instanceof UserDataError) throw new CliError(inert`${file}: ${error.message}`, 2);
    if (error instanceof Error && !(error instanceof CliError)) throw new CliError(inert`${file}: ${error.message}`, 1);
    throw error;
  }
  return out;
}
