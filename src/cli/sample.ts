/** `gencomposer sample FILE --checkpoint DIR`: samples from a trained graph. */
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { TrainingSession } from '../core/train/session.ts';
import { streamBatches } from '../core/train/program-data.ts';
import { parseFlags, UsageError } from './args.ts';
import { readCheckpointDir } from './checkpoint-files.ts';
import { writeSamples } from './samples.ts';
import { CliError, loadProgram, openData, parseBackend, parseCount, startBackend } from './setup.ts';
import { parseDataFlags } from './user-files.ts';

export const SAMPLE_USAGE = 'sample FILE --checkpoint DIR [--n 64] [--out FILE.png] [--sampler NODE] [--seed S] [--backend NAME] [--data NAME=PATH ...]';

export async function sampleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    checkpoint: { type: 'string' },
    n: { type: 'string' },
    out: { type: 'string' },
    sampler: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    data: { type: 'string', multiple: true },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file');
  if (!values.checkpoint) throw new UsageError('--checkpoint DIR is required (a run folder\'s checkpoint/, written by train)');
  const file = positionals[0]!;
  const count = parseCount('n', values.n, 4096);
  if (count === 0) throw new UsageError('--n must be at least 1');
  const seed = parseCount('seed', values.seed, 2 ** 31 - 1);
  const backend = parseBackend(values.backend);
  const dataFiles = parseDataFlags(values.data);
  const program = await loadProgram(file);
  if (program.samplers.length === 0) throw new CliError(`${file}: the graph has no sampler node`, 1);
  if (values.sampler && !program.samplers.some((p) => p.op.origin.node === values.sampler)) {
    throw new CliError(`${file}: no sampler node "${values.sampler}" (samplers: ${program.samplers.map((p) => p.op.origin.node).join(', ')})`, 1);
  }
  await startBackend(backend);
  const sources = await openData(file, program, dataFiles);
  const session = new TrainingSession(program, streamBatches(sources));
  try {
    await readCheckpointDir(values.checkpoint, session);
    const out = values.out ?? join(values.checkpoint, '..', 'samples-from-checkpoint.png');
    mkdirSync(dirname(out), { recursive: true });
    // Weight averages (an objective's ema), where the graph keeps them, are what samples come from.
    const records = await session.withAveragedWeights(() =>
      writeSamples(session, sources, dirname(out), {
        stem: basename(out, extname(out)),
        ...(count === undefined ? {} : { count }),
        ...(values.sampler ? { sampler: values.sampler } : {}),
        ...(seed === undefined ? {} : { seed }),
      }),
    );
    for (const r of records) console.log(join(dirname(out), r.file) + (r.text ? ` ${join(dirname(out), r.text)}` : ''));
    return 0;
  } finally {
    session.dispose();
  }
}
