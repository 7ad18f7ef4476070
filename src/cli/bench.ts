/**
 * `gencomposer bench FILE`: how fast a graph trains, against a hand-written
 * TF.js version of the same model on the same backend in the same process
 * (bench/baselines/, for a graph that is the model of the preset a baseline
 * reproduces). Reports kernels per training step (from tf.profile:
 * deterministic, machine-independent) and milliseconds per step; the ratios
 * graph / baseline are the numbers to compare across machines.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createBaseline as createTransformerBaseline } from '../../bench/baselines/transformer.ts';
import { createBaseline as createVaeBaseline } from '../../bench/baselines/vae.ts';
import type { Baseline } from '../../bench/baselines/common.ts';
import type { Program } from '../core/compiler/program.ts';
import type { RequestedNodeBackend } from '../core/train/backends/node.ts';
import { modelIdentity } from '../core/train/checkpoint.ts';
import { streamBatches } from '../core/train/program-data.ts';
import { TrainingSession } from '../core/train/session.ts';
import { printable, printableJson } from '../core/base/text.ts';
import { parseFlags, UsageError } from './args.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { prepareOutputFile, writeFileAtomic } from './run-files.ts';
import { loadProgram, openData, requireObjectives, parseBackend, parseCount, startBackend } from './setup.ts';
import { countGpuDispatches } from '../core/train/backends/gpu-dispatches.ts';
import { blasNote, startPytorchTwin, type PytorchTwin, type TwinInfo } from './pytorch-twin.ts';

/** Where the twin ran, as the table says it: its threads and BLAS on the CPU, the GPU's name on CUDA. */
function twinPlace(info: { device: string; threads: number; blas: string }): string {
  return info.device === 'cpu' ? `${info.threads} thread(s), BLAS: ${blasNote(info.blas)}` : `on ${info.device}`;
}

export const BENCH_USAGE = 'bench FILE [--backend auto|webgpu|wasm|cpu] [--steps N] [--warmup N] [--against pytorch [--threads N] [--torch-device cpu|cuda]] [--json] [--out FILE.json] [--memory-budget MB]';

/** Hand-written baselines, each the model of one preset, built at the graph's batch size. */
const BASELINES: { preset: URL; create: (batchSize: number) => Baseline }[] = [
  { preset: new URL('../../graph-presets/vae.json', import.meta.url), create: createVaeBaseline },
  { preset: new URL('../../graph-presets/transformer.json', import.meta.url), create: createTransformerBaseline },
];

/**
 * The baseline of the preset whose model this graph is: the same model
 * identity as checkpoints compare (nodes, wiring, params, objectives and
 * optimizers, data; not names, seed or batch size). Undefined for any other graph.
 */
export async function baselineFor(program: Program): Promise<((batchSize: number) => Baseline) | undefined> {
  const own = modelIdentity(program.document, program.objectives).fingerprint;
  for (const { preset, create } of BASELINES) {
    const reference = await loadProgram(fileURLToPath(preset));
    if (modelIdentity(reference.document, reference.objectives).fingerprint === own) return create;
  }
  return undefined;
}

export interface Measured {
  kernelsPerStep: number;
  /** Compute dispatches the GPU saw in one step (gpu-dispatches.ts); null off WebGPU. */
  dispatchesPerStep: number | null;
  /** Median wall time of the timed steps. */
  msPerStep: number;
  meanMsPerStep: number;
  parameters: number;
}

export interface BenchResult {
  name: string;
  file: string;
  family: string;
  backend: string;
  adapter: string | null;
  batchSize: number;
  warmup: number;
  steps: number;
  graph: Measured;
  baseline: (Measured & { name: string }) | null;
  /** graph / baseline; null without a baseline, or when the two are not the same model (parameter counts differ). */
  ratio: { kernels: number; ms: number } | null;
  /** The exported PyTorch twin, timed in the same run (--against pytorch), and graph ms / its ms. */
  pytorch: (Omit<Measured, 'kernelsPerStep' | 'dispatchesPerStep'> & TwinInfo & { ratio: number }) | null;
}

export interface BenchOptions {
  backend?: RequestedNodeBackend;
  steps?: number;
  warmup?: number;
  /** Caps the document's own memory budget (--memory-budget). */
  memoryBudgetMB?: number | undefined;
  /** Times the exported PyTorch twin too, with this many torch threads, on this torch device (cpu unless named). */
  againstPytorch?: { threads: number; device?: string };
  /** Progress and warnings; stderr in the CLI. */
  log?: (line: string) => void;
}

/** One timed, awaited step of a side. */
interface Runner {
  /** Runs one training step and waits until its loss is read back; a side that times itself returns its milliseconds. */
  step(): Promise<number | void>;
  /** Kernels of one step, by tf.profile; the step's device work is awaited too. Absent for a side outside TF.js. */
  kernels?(): Promise<number>;
}

const round = (x: number, digits = 3) => +x.toFixed(digits);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function graphRunner(session: TrainingSession): Runner {
  return {
    async step() {
      session.trainStep();
      // Reads the step's loss sum (a few floats): the step's kernels have all run when it arrives.
      await session.readLosses();
    },
    async kernels() {
      const profile = await tf.profile(() => session.trainStep());
      await session.readLosses();
      return profile.kernels.length;
    },
  };
}

function baselineRunner(baseline: Baseline): Runner {
  return {
    async step() {
      const loss = baseline.step();
      await loss.data();
      loss.dispose();
    },
    async kernels() {
      let loss: tf.Scalar | undefined;
      const profile = await tf.profile(() => {
        loss = baseline.step();
      });
      await loss!.data();
      loss!.dispose();
      return profile.kernels.length;
    },
  };
}

export async function benchFile(file: string, options: BenchOptions = {}): Promise<BenchResult> {
  const steps = options.steps ?? 20;
  // At least one: the first step creates the optimizer's state, which later steps never do again.
  const warmup = Math.max(1, options.warmup ?? 3);
  const log = options.log ?? (() => {});
  const program = await loadProgram(file, { memoryBudgetMB: options.memoryBudgetMB });
  requireObjectives(file, program);
  const backend = await startBackend(options.backend ?? 'auto');
  log(`backend: ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}${backend.fallbackReason ? ` — ${backend.fallbackReason}` : ''}`);
  const sources = await openData(file, program);
  const makeBaseline = await baselineFor(program);
  const session = new TrainingSession(program, streamBatches(sources));
  const baseline = makeBaseline?.(session.batchSize);
  let twin: PytorchTwin | undefined;
  try {
    const sides: { runner: Runner; times: number[] }[] = [{ runner: graphRunner(session), times: [] }];
    if (baseline) sides.push({ runner: baselineRunner(baseline), times: [] });
    if (options.againstPytorch) {
      // From the same initial weights (the seed's), on the same batches.
      const weights = new Map([...session.variables].map(([key, v]) => [key, v.dataSync() as Float32Array]));
      twin = await startPytorchTwin(file, program, weights, options.againstPytorch.threads, options.againstPytorch.device);
      log(`pytorch twin: torch ${twin.info.torch}, ${twinPlace(twin.info)}`);
      sides.push({ runner: { step: twin.step }, times: [] });
    }

    // The same warmup for all: first-use costs (kernel compilation, memory growth) stay out of the numbers.
    for (let i = 0; i < warmup; i++) for (const side of sides) await side.runner.step();
    const kernels: number[] = [];
    const dispatches: (number | null)[] = [];
    for (const side of sides) {
      kernels.push(side.runner.kernels ? await side.runner.kernels() : Number.NaN);
      // A step of its own: the count is of a plain step, not of one under tf.profile.
      dispatches.push(side.runner.kernels ? ((await countGpuDispatches(async () => void (await side.runner.step()))) ?? null) : null);
    }

    // What is timed: one training step (fresh batch, forward, backward, optimizer update) up to the
    // moment its loss has been read back to JavaScript, so the device work is finished. The two
    // sides alternate, and which goes first alternates, so drift on a shared machine hits both alike.
    log(`timing ${steps} steps of ${sides.length > 1 ? `the graph${baseline ? ', its baseline' : ''}${twin ? ', its PyTorch twin' : ''}, interleaved` : 'the graph'}`);
    for (let i = 0; i < steps; i++) {
      const order = i % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const start = performance.now();
        const own = await side.runner.step();
        side.times.push(typeof own === 'number' ? own : performance.now() - start);
      }
    }

    const measured = (i: number, parameters: number): Measured => {
      const times = sides[i]!.times;
      return {
        kernelsPerStep: kernels[i]!,
        dispatchesPerStep: dispatches[i]!,
        msPerStep: round(median(times)),
        meanMsPerStep: round(times.reduce((a, b) => a + b, 0) / times.length),
        parameters,
      };
    };
    const graphParameters = [...session.variables.values()].reduce((n, v) => n + v.size, 0);
    const graph = measured(0, graphParameters);
    const base = baseline ? { name: baseline.name, ...measured(1, baseline.parameterCount) } : null;
    let ratio: BenchResult['ratio'] = null;
    if (base && base.parameters !== graph.parameters) {
      log(`warning: the baseline ${base.name} has ${base.parameters} parameters, this graph ${graph.parameters}: not the same model; no ratio`);
    } else if (base) {
      ratio = { kernels: round(graph.kernelsPerStep / base.kernelsPerStep), ms: round(graph.msPerStep / base.msPerStep) };
    }
    let pytorch: BenchResult['pytorch'] = null;
    if (twin) {
      const { kernelsPerStep: _none, dispatchesPerStep: _gpu, ...times } = measured(sides.length - 1, twin.info.parameters);
      pytorch = { ...times, ...twin.info, ratio: round(graph.msPerStep / times.msPerStep) };
      if (twin.info.parameters !== graph.parameters) log(`warning: the PyTorch twin has ${twin.info.parameters} parameters, this graph ${graph.parameters}`);
    }
    return {
      name: program.document.meta.name,
      file,
      family: program.document.meta.family,
      backend: backend.name,
      adapter: backend.adapter ?? null,
      batchSize: session.batchSize,
      warmup,
      steps,
      graph,
      baseline: base,
      ratio,
      pytorch,
    };
  } finally {
    session.dispose();
    baseline?.dispose();
    twin?.close();
  }
}

export function formatBench(r: BenchResult): string {
  const line = (label: string, m: Measured) =>
    `  ${label.padEnd(9)} ${String(m.kernelsPerStep).padStart(6)} kernels/step${m.dispatchesPerStep === null ? '' : ` ${String(m.dispatchesPerStep).padStart(6)} GPU dispatches/step`}  ${m.msPerStep.toFixed(2).padStart(9)} ms/step (median; mean ${m.meanMsPerStep.toFixed(2)})  ${m.parameters.toLocaleString('en-US')} parameters`;
  const lines = [
    `${r.file}: ${r.name} (${r.family}), backend ${r.backend}${r.adapter ? ` (${r.adapter})` : ''}, batch ${r.batchSize}, ${r.steps} timed steps after ${r.warmup} warmup`,
    line('graph', r.graph),
    r.baseline ? line('baseline', r.baseline) : '  baseline  none (no hand-written baseline is this model)',
  ];
  if (r.ratio) lines.push(`  graph / baseline: ${r.ratio.kernels}x kernels, ${r.ratio.ms}x time`);
  if (r.pytorch) {
    const p = r.pytorch;
    lines.push(`  pytorch   ${'-'.padStart(6)} kernels/step  ${p.msPerStep.toFixed(2).padStart(9)} ms/step (median; mean ${p.meanMsPerStep.toFixed(2)})  ${p.parameters.toLocaleString('en-US')} parameters`);
    lines.push(`  graph / pytorch: ${p.ratio}x time (torch ${p.torch}, ${twinPlace(p)})`);
  }
  return lines.join('\n');
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    backend: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    against: { type: 'string' },
    threads: { type: 'string' },
    'torch-device': { type: 'string' },
    ...MEMORY_BUDGET_FLAG,
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file to bench');
  const backend = parseBackend(values.backend);
  const steps = parseCount('steps', values.steps, 1e6);
  if (steps === 0) throw new UsageError('--steps must be at least 1');
  const warmup = parseCount('warmup', values.warmup, 1e6);
  if (warmup === 0) throw new UsageError('--warmup must be at least 1');
  if (values.against !== undefined && values.against !== 'pytorch') throw new UsageError(`--against takes pytorch (the exported PyTorch twin), not "${values.against}"`);
  const threads = parseCount('threads', values.threads, 256);
  if (threads !== undefined && values.against === undefined) throw new UsageError('--threads applies to --against pytorch (torch\'s threads)');
  if (threads === 0) throw new UsageError('--threads must be at least 1');
  const torchDevice = values['torch-device'];
  if (torchDevice !== undefined && values.against === undefined) throw new UsageError('--torch-device applies to --against pytorch');
  if (torchDevice !== undefined && !/^(cpu|cuda(:\d+)?)$/.test(torchDevice)) throw new UsageError(`--torch-device takes cpu or cuda, not "${torchDevice}"`);
  if (values.out) prepareOutputFile(values.out, 'name the JSON file to write');
  const result = await benchFile(positionals[0]!, {
    backend,
    steps,
    warmup,
    memoryBudgetMB: parseMemoryBudget(values['memory-budget']),
    ...(values.against ? { againstPytorch: { threads: threads ?? 1, ...(torchDevice ? { device: torchDevice } : {}) } } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  // The table's lines are printed as lines; names inside them are made inert one line at a time.
  console.log(values.json ? printableJson(JSON.stringify(result, null, 2)) : formatBench(result).split('\n').map(printable).join('\n'));
  if (values.out) writeFileAtomic(values.out, `${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
