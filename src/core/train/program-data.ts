/**
 * Opens the data a program trains on: one source per Data node, split by
 * the document's training settings, and the batch provider that reads step
 * k's batch from stream position k · batch size.
 */
import { openDataSource, type DataParamsInput } from '../data/index.ts';
import type { DataOptions, DataSource } from '../data/source.ts';
import type { Program } from '../compiler/program.ts';
import type { BatchProvider } from './session.ts';

export class DataError extends Error {
  constructor(
    message: string,
    readonly node: string,
  ) {
    super(message);
  }
}

export async function openProgramData(program: Program, readAsset: DataOptions['readAsset']): Promise<Map<string, DataSource>> {
  const { seed, data } = program.document.training;
  const sources = new Map<string, DataSource>();
  for (const op of program.feeds) {
    if (op.kind === 'Input') {
      throw new DataError(`Input node "${op.origin.node}" has no data to train on; use a Data node, or feed it from code`, op.origin.node);
    }
    sources.set(op.id, await openDataSource(op.params as DataParamsInput, { seed, validationSplit: data.validationSplit, shuffle: data.shuffle, readAsset }));
  }
  return sources;
}

export function streamBatches(sources: ReadonlyMap<string, DataSource>): BatchProvider {
  return (op, step, batchSize) => {
    const source = sources.get(op.id);
    if (!source) throw new DataError(`no data is open for "${op.origin.node}"`, op.origin.node);
    return source.trainBatch(step * batchSize, batchSize);
  };
}
