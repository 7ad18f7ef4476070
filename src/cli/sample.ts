/** `gencomposer sample FILE --checkpoint DIR`: samples from a trained graph. */
import { basename, dirname, extname, join } from 'node:path';
import { TrainingSession } from '../core/train/session.ts';
import { streamBatches } from '../core/train/program-data.ts';
import { inert, printable } from '../core/base/text.ts';
import { parseFlags, UsageError } from './args.ts';
import { checkCheckpointModel, readCheckpointFiles, restoreCheckpointInto } from './checkpoint-files.ts';
import { prepareOutputFile } from './run-files.ts';
import { isFailed, writeSamples } from './samples.ts';
import { CliError } from './errors.ts';
import { loadProgram, openData, parseBackend, parseCount, startBackend } from './setup.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { parseDataFlags } from './user-files.ts';
import { samplerName, type SamplerPlan } from '../core/nodes/sampler-types.ts';
import { conditionProblem, parseConditionChoice, type ConditionChoice } from '../core/nodes/sampler-condition.ts';

export const SAMPLE_USAGE = 'sample FILE --checkpoint DIR [--n 64] [--out FILE.png] [--sampler NODE] [--condition each-class|held-out|LABELS] [--seed S] [--backend NAME] [--memory-budget MB] [--data NAME=PATH ...]';

export async function sampleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    checkpoint: { type: 'string' },
    n: { type: 'string' },
    out: { type: 'string' },
    sampler: { type: 'string' },
    condition: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    data: { type: 'string', multiple: true },
    ...MEMORY_BUDGET_FLAG,
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file');
  if (!values.checkpoint) throw new UsageError('--checkpoint DIR is required (a run folder\'s checkpoint/, written by train)');
  const file = positionals[0]!;
  const count = parseCount('n', values.n, 4096);
  if (count === 0) throw new UsageError('--n must be at least 1');
  const seed = parseCount('seed', values.seed, 2 ** 31 - 1);
  const backend = parseBackend(values.backend);
  const dataFiles = parseDataFlags(values.data);
  const out = values.out ?? join(values.checkpoint, '..', 'samples-from-checkpoint.png');
  prepareOutputFile(out, `name the picture to write, e.g. ${join(out, 'samples.png')}`);
  const memoryBudgetMB = parseMemoryBudget(values['memory-budget']);
  // The graph's own problems first; then the checkpoint's.
  let program = await loadProgram(file, { memoryBudgetMB });
  const checkpoint = await readCheckpointFiles(values.checkpoint);
  // The run's own seed: held-out examples a sampler reads come from the split it made.
  const seedOfRun = checkpoint.manifest.model?.seed;
  if (seedOfRun !== undefined && seedOfRun !== program.document.training.seed) program = await loadProgram(file, { seed: seedOfRun, memoryBudgetMB });
  checkCheckpointModel(values.checkpoint, program, checkpoint, 'weights');
  if (program.samplers.length === 0) throw new CliError(inert`${file}: the graph has no sampler node`, 1);
  if (values.sampler && !program.samplers.some((p) => samplerName(p) === values.sampler)) {
    throw new CliError(inert`${file}: no sampler node "${values.sampler}" (samplers: ${program.samplers.map(samplerName).join(', ')})`, 1);
  }
  const condition = conditionFlag(values.condition, program.samplers.filter((p) => values.sampler === undefined || samplerName(p) === values.sampler));
  await startBackend(backend);
  const sources = await openData(file, program, dataFiles);
  const session = new TrainingSession(program, streamBatches(sources));
  try {
    restoreCheckpointInto(values.checkpoint, session, checkpoint, 'weights');
    // Weight averages (an objective's ema), where the graph keeps them, are what samples come from.
    const records = await session.withAveragedWeights(() =>
      writeSamples(session, sources, dirname(out), {
        stem: basename(out, extname(out)),
        ...(count === undefined ? {} : { count }),
        ...(values.sampler ? { sampler: values.sampler } : {}),
        ...(seed === undefined ? {} : { seed }),
        ...(condition ? { condition } : {}),
      }),
    );
    for (const r of records) if (!isFailed(r)) console.log(printable(join(dirname(out), r.file) + (r.text ? ` ${join(dirname(out), r.text)}` : '')));
    const failed = records.find(isFailed);
    if (failed) throw new CliError(inert`${file}: ${failed.sampler}: the sampler failed: ${failed.error}`, 1);
    return 0;
  } finally {
    session.dispose();
  }
}

/** --condition: labels for the conditioned samplers chosen, checked against their classes before any work. */
function conditionFlag(text: string | undefined, plans: readonly SamplerPlan[]): ConditionChoice | undefined {
  if (text === undefined) return undefined;
  const choice = parseConditionChoice(text);
  if (!choice) throw new UsageError(inert`--condition takes each-class, held-out or labels such as 3 or 0,1,2 (got "${text}")`);
  const conditioned = plans.filter((plan) => plan.condition);
  if (conditioned.length === 0) throw new UsageError('--condition: no sampler chosen has a condition input');
  for (const plan of conditioned) {
    const problem = conditionProblem(choice, plan.condition!.classes, plan.condition!.nullLabel);
    if (problem) throw new UsageError(inert`--condition: sampler ${samplerName(plan)}: ${problem}`);
  }
  return choice;
}
