/**
 * The exported PyTorch twin of a graph, as a second side of `bench`: the
 * project written to a temporary folder (the session's initial weights, the
 * graph's data), bench/pytorch_twin.py started on it with /usr/bin/python3,
 * and one training step per request, timed by Python up to its loss read
 * back. The twin says which BLAS torch runs on: Debian's torch takes the
 * system's libblas.so.3, the slow reference BLAS unless OpenBLAS is installed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Program } from '../core/compiler/program.ts';
import { pytorchProject } from '../core/export/pytorch/project.ts';
import { CliError } from './errors.ts';
import { projectData, pythonLibrary } from './export.ts';

const PYTHON = '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('../../bench/pytorch_twin.py', import.meta.url));

export interface TwinInfo {
  torch: string;
  /** The BLAS library torch's process has mapped (its real file). */
  blas: string;
  /** Where the twin trains: cpu, or the GPU's name (cuda). */
  device: string;
  threads: number;
  parameters: number;
}

export interface PytorchTwin {
  info: TwinInfo;
  /** One training step; its milliseconds as Python timed them. */
  step(): Promise<number>;
  close(): void;
}

/** Starts the twin of `program` from `weights` (by variable key); refuses in one line when Python or torch is missing. */
export async function startPytorchTwin(file: string, program: Program, weights: ReadonlyMap<string, Float32Array>, threads: number, device = 'cpu'): Promise<PytorchTwin> {
  const project = pytorchProject(program, { library: pythonLibrary(), weights, data: await projectData(file, program, new Map()) });
  if (!project.ok) throw new CliError(`${file}: --against pytorch: ${project.diagnostics.map((d) => d.message).join('; ')}`, 1);
  const dir = mkdtempSync(join(tmpdir(), 'gencomposer-twin-'));
  for (const f of project.files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(PYTHON, [DRIVER, dir, String(threads), device], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const spawnError = new Promise<never>((_, reject) => child.on('error', (error) => reject(new CliError(`--against pytorch: cannot start ${PYTHON}: ${error.message}`, 1))));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const close = () => {
    child.stdin.end();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await Promise.race([lines.next(), spawnError]);
    if (line.done) {
      const last = stderr.trim().split('\n').pop() ?? '';
      throw new CliError(`--against pytorch: the PyTorch twin stopped${last ? `: ${last}` : ''} (needs ${PYTHON} with torch, e.g. Debian's python3-torch)`, 1);
    }
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  try {
    const ready = await next();
    const info: TwinInfo = { torch: String(ready.torch), blas: String(ready.blas), device: String(ready.device), threads: Number(ready.threads), parameters: Number(ready.parameters) };
    return {
      info,
      async step() {
        child.stdin.write('step\n');
        return Number((await next()).ms);
      },
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

/** What the BLAS a twin runs on means for its timings. */
export function blasNote(blas: string): string {
  if (/openblas/i.test(blas)) return `OpenBLAS (${blas})`;
  if (/mkl/i.test(blas)) return `MKL (${blas})`;
  if (/\/blas\/libblas/.test(blas)) return `the reference BLAS (${blas}): slow, not a fair reference; install libopenblas0-serial`;
  return blas;
}
