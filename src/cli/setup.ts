/**
 * What train, sample and bench share: read and compile a graph file, start
 * a backend, open the graph's data. Problems become CliErrors with the exit
 * code and the message a person needs; nothing here prints a stack trace.
 */
import '@tensorflow/tfjs-backend-cpu';
import { inert } from '../core/base/text.ts';
import type { Program } from '../core/compiler/program.ts';
import { readPublicAsset } from '../core/data/assets.node.ts';
import type { DataSource } from '../core/data/source.ts';
import type { Diagnostic } from '../core/base/diagnostics.ts';
import { BackendUnavailableError, initNodeBackend, type BackendInfo, type RequestedNodeBackend } from '../core/train/backends/node.ts';
import { DataError, openProgramData } from '../core/train/program-data.ts';
import { UsageError } from './args.ts';
import { CliError } from './errors.ts';
import { compileFile } from './compile-file.ts';
import { userFileReader } from './user-files.ts';
import { formatDiagnostic } from './format.ts';

export { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
export { CliError } from './errors.ts';

const BACKENDS = ['auto', 'webgpu', 'wasm', 'cpu'] as const;

export function parseBackend(value: string | undefined): RequestedNodeBackend {
  const backend = value ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(inert`--backend must be one of ${BACKENDS.join(', ')}, not "${backend}"`);
  return backend as RequestedNodeBackend;
}

export function parseCount(flag: string, value: string | undefined, max = 1e9): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(inert`--${flag} must be a whole number between 0 and ${max}, not "${value}"`);
  return n;
}

function diagnosticsError(file: string, diagnostics: readonly Diagnostic[], exitCode: 1 | 2): CliError {
  return new CliError(diagnostics.map((d) => formatDiagnostic(file, d)).join('\n'), exitCode);
}

export interface ProgramOverrides {
  seed?: number | undefined;
  /** The limit on the document's memory budget (--memory-budget); the default limit when absent. */
  memoryBudgetMB?: number | undefined;
}

export async function loadProgram(file: string, overrides: ProgramOverrides = {}): Promise<Program> {
  const compiled = await compileFile(file, { seed: overrides.seed, maxMemoryBudgetMB: overrides.memoryBudgetMB });
  if (compiled.program) return compiled.program;
  if (compiled.unreadable) throw diagnosticsError(file, compiled.diagnostics, 2);
  // GC208 says why the budget in a GC109 is not the one the document asks for.
  throw diagnosticsError(file, compiled.diagnostics.filter((d) => d.severity === 'error' || d.code === 'GC208'), 1);
}

/** train and bench need something to train: a graph without a loss node is refused in one line. */
export function requireObjectives(file: string, program: Program): void {
  if (program.objectives.length === 0) throw new CliError(inert`${file}: the graph has no loss node, so there is nothing to train (GC202); add an objective node such as ReconstructionLoss`, 1);
}

export async function startBackend(requested: RequestedNodeBackend): Promise<BackendInfo> {
  try {
    return await initNodeBackend(requested);
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new CliError(error.message, 2);
    throw error;
  }
}

/**
 * Opens the graph's data. User files are read beside the graph file, or
 * from the paths `dataFiles` gives by name (--data NAME=PATH).
 */
export async function openData(file: string, program: Program, dataFiles: ReadonlyMap<string, string> = new Map()): Promise<Map<string, DataSource>> {
  const named = new Set(program.feeds.map((op) => (op.params as { file?: string }).file).filter((name) => name));
  for (const name of dataFiles.keys()) {
    if (!named.has(name)) throw new UsageError(inert`--data ${name}=...: no Data node of ${file} reads a file named "${name}"` + (named.size ? inert` (they read: ${[...named].join(', ')})` : ''));
  }
  try {
    return await openProgramData(program, readPublicAsset, userFileReader(file, dataFiles));
  } catch (error) {
    if (error instanceof DataError) throw new CliError(inert`${file}: ${error.node}: ${error.message}`, error.missing ? 2 : 1);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(inert`the prepared data is missing (${(error as Error).message}); run "npm run prepare"`, 2);
    }
    throw error;
  }
}
