/**
 * A training session: the program's variables and optimizers, and the one
 * step function. Randomness (noise, dropout, diffusion steps) is drawn from
 * a generator seeded by (seed, step), so a run is the same on every resume.
 * Losses stay on the device, summed, until someone reads them.
 */
import './gradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../base/names.ts';
import type { CompiledObjective, Program } from '../compiler/program.ts';
import { createVariables, runOps } from '../compiler/forward.ts';
import { ConstantCache } from '../nodes/constants.ts';
import { fuseOps } from '../compiler/fusion.ts';
import { fusedKernelsPay } from '../nodes/fused.ts';
import type { FlatOp } from '../shapes/analyze.ts';
import { createOptimizer, type Optimizer } from './optimizers.ts';
import { createDeviceRandom } from './device-random.ts';
import { createRandom, type RandomSource } from '../base/random.ts';

/** Supplies a feed op's tensors for a training step. */
export type BatchProvider = (op: FlatOp, step: number, batchSize: number) => Record<string, tf.Tensor>;

export interface LossReport {
  /** The step the report ends at (steps taken so far). */
  step: number;
  /**
   * Mean since the last report, per objective: its total and each loss node.
   * Both records are keyed by document names and have no prototype.
   */
  objectives: Record<string, { total: number; losses: Record<string, number>; steps: number; metrics?: Record<string, number> }>;
}

export interface NonFinite {
  objective: string;
  value: number;
}

/** A stable seed per (seed, step, salt): splitmix-style mixing. */
export function stepSeed(seed: number, step: number, salt = 0): number {
  let h = (seed ^ Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

interface Accumulator {
  sum: tf.Tensor | undefined;
  /** The objective's metrics (CompiledObjective.metrics), summed like the losses. */
  metrics: tf.Tensor | undefined;
  steps: number;
}

export class TrainingSession {
  readonly variables: Map<string, tf.Variable>;
  readonly optimizers = new Map<string, Optimizer>();
  /** Steps taken so far. */
  step = 0;
  private readonly cycle: CompiledObjective[];
  /** While withAveragedWeights runs: a training step then would update the averages' stand-ins. */
  private averagedInUse = false;
  private readonly accumulators = new Map<string, Accumulator>();
  /** The unchanging tensors of the graph's ops (masks, tables, scalars), made on the first step and kept until dispose. */
  readonly constants = new ConstantCache();
  /** Each objective's ops with fusable chains fused (compiler/fusion.ts). */
  private readonly stepOps = new Map<string, FlatOp[]>();

  constructor(
    readonly program: Program,
    private readonly batches: BatchProvider,
    readonly batchSize = program.document.training.batchSize,
    readonly seed = program.document.training.seed,
    /** The random source of each step; tests record its draws to replay them elsewhere (an exported model). */
    // Where the step's kernels run on the GPU, its draws are made there too (device-random.ts); elsewhere Rng's stream.
    private readonly randomFor: (step: number) => RandomSource = (step) => (fusedKernelsPay() ? createDeviceRandom : createRandom)(stepSeed(seed, step)),
  ) {
    this.variables = createVariables(program.analysis, seed);
    for (const objective of program.objectives) {
      this.optimizers.set(objective.id, createOptimizer(objective.optimizer, this.variables, objective.variables));
      this.accumulators.set(objective.id, { sum: undefined, metrics: undefined, steps: 0 });
      const read = new Set([...objective.losses.map((op) => op.outputs.loss!), ...objective.metrics.map((m) => m.key)]);
      this.stepOps.set(objective.id, fuseOps(objective.ops, read));
    }
    // A GAN with shares D 1, G 1 alternates; shares 5 and 1 take five D steps per G step.
    this.cycle = program.objectives.flatMap((o) => Array.from({ length: o.share }, () => o));
  }

  /** The objective the next step trains. */
  get nextObjective(): CompiledObjective | undefined {
    return this.cycle[this.step % this.cycle.length];
  }

  /** One optimizer step of the next objective in the cycle. Reads nothing back. */
  trainStep(): void {
    if (this.averagedInUse) throw new Error('a training step cannot run while the averaged weights stand in (withAveragedWeights)');
    const objective = this.nextObjective;
    if (!objective) throw new Error('the program has no objective to train');
    const step = this.step;
    const feeds = nameRecord<Record<string, tf.Tensor>>();
    for (const op of objective.ops) if (op.kind === 'Data' || op.kind === 'Input') feeds[op.id] = this.batches(op, step, this.batchSize);
    const random = this.randomFor(step);
    const varList = objective.variables.map((key) => this.variables.get(key)!);
    // Schedules in the losses (a KL warm-up) follow the objective's own updates, as its learning rate does.
    const updates = this.optimizers.get(objective.id)!.steps;
    let lossVector: tf.Tensor | undefined;
    let metricVector: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const values = runOps(this.stepOps.get(objective.id)!, this.program.analysis, { variables: this.variables, feeds, batchSize: this.batchSize, training: true, random, step: updates, constants: this.constants });
      lossVector = tf.keep(tf.stack(objective.losses.map((op) => values.get(op.outputs.loss!)!)));
      if (objective.metrics.length > 0) metricVector = tf.keep(tf.stack(objective.metrics.map((m) => values.get(m.key)!)));
      return tf.sum(lossVector) as tf.Scalar;
    }, varList);
    const byKey = nameRecord<tf.Tensor>();
    objective.variables.forEach((key, i) => {
      const g = grads[varList[i]!.name];
      if (g) byKey[key] = g;
    });
    this.optimizers.get(objective.id)!.apply(byKey);
    const acc = this.accumulators.get(objective.id)!;
    const previous = acc.sum;
    acc.sum = previous ? tf.add(previous, lossVector!) : lossVector!.clone();
    acc.steps += 1;
    previous?.dispose();
    lossVector!.dispose();
    if (metricVector) {
      const before = acc.metrics;
      acc.metrics = before ? tf.add(before, metricVector) : metricVector.clone();
      before?.dispose();
      metricVector.dispose();
    }
    value.dispose();
    tf.dispose(grads);
    for (const batch of Object.values(feeds)) tf.dispose(Object.values(batch));
    this.step += 1;
  }

  /** Reads and resets the loss sums: one device read per objective. */
  async readLosses(): Promise<LossReport> {
    const report: LossReport = { step: this.step, objectives: nameRecord() };
    for (const objective of this.program.objectives) {
      const acc = this.accumulators.get(objective.id)!;
      if (!acc.sum) continue;
      const sums = await acc.sum.data();
      acc.sum.dispose();
      const losses = nameRecord<number>();
      let total = 0;
      objective.losses.forEach((op, i) => {
        const mean = sums[i]! / acc.steps;
        losses[op.origin.node] = (losses[op.origin.node] ?? 0) + mean;
        total += mean;
      });
      report.objectives[objective.id] = { total, losses, steps: acc.steps };
      if (acc.metrics) {
        const read = await acc.metrics.data();
        acc.metrics.dispose();
        acc.metrics = undefined;
        report.objectives[objective.id]!.metrics = nameRecord(objective.metrics.map((m, i) => [m.name, read[i]! / acc.steps]));
      }
      acc.sum = undefined;
      acc.steps = 0;
    }
    return report;
  }

  /**
   * Runs `use` with every weight that has a moving average (an objective's
   * `ema`) set to that average, then puts the trained weights back. Sampling
   * and evaluation go through here; training steps must not.
   */
  async withAveragedWeights<T>(use: () => Promise<T>): Promise<T> {
    if (this.averagedInUse) return use();
    const saved = new Map<string, tf.Tensor>();
    for (const optimizer of this.optimizers.values()) {
      for (const [key, average] of optimizer.averages()) {
        const variable = this.variables.get(key)!;
        if (!saved.has(key)) {
          saved.set(key, variable.clone());
          variable.assign(average);
        }
        average.dispose();
      }
    }
    this.averagedInUse = true;
    try {
      return await use();
    } finally {
      this.averagedInUse = false;
      for (const [key, value] of saved) {
        this.variables.get(key)!.assign(value);
        value.dispose();
      }
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    for (const o of this.optimizers.values()) o.dispose();
    this.constants.dispose();
    for (const acc of this.accumulators.values()) tf.dispose([acc.sum, acc.metrics].filter((t): t is tf.Tensor => t !== undefined));
  }
}

/** The first objective whose reported loss is NaN or infinite. */
export function nonFinite(report: LossReport): NonFinite | undefined {
  for (const [objective, { total }] of Object.entries(report.objectives)) {
    if (!Number.isFinite(total)) return { objective, value: total };
  }
  return undefined;
}
