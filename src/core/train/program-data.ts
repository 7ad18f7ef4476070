/**
 * Opens the data a program trains on: one source per Data node, split by
 * the document's training settings, and the batch provider that reads step
 * k's batch from stream position k · batch size.
 */
import { openDataSource, type DataParamsInput } from '../data/index.ts';
import type { DataOptions, DataSource } from '../data/source.ts';
import { UserDataError, UserFileMissingError, type ReadUserFile } from '../data/user-file.ts';
import type { Program } from '../compiler/program.ts';
import type { BatchProvider } from './session.ts';

export class DataError extends Error {
  constructor(
    message: string,
    readonly node: string,
    /** The data could not be read at all (a user file that is missing), rather than being wrong. */
    readonly missing = false,
  ) {
    super(message);
  }
}

/**
 * `readUserFile` serves Data nodes that read a file of the user's own; a
 * problem with such a file becomes a DataError naming the node.
 */
export async function openProgramData(program: Program, readAsset: DataOptions['readAsset'], readUserFile?: ReadUserFile): Promise<Map<string, DataSource>> {
  const { seed, data } = program.document.training;
  const sources = new Map<string, DataSource>();
  for (const op of program.feeds) {
    if (op.kind === 'Input') {
      throw new DataError(`Input node "${op.origin.node}" has no data to train on; use a Data node, or feed it from code`, op.origin.node);
    }
    const options: DataOptions = { seed, validationSplit: data.validationSplit, shuffle: data.shuffle, readAsset, ...(readUserFile ? { readUserFile } : {}) };
    try {
      sources.set(op.id, await openDataSource(op.params as DataParamsInput, options));
    } catch (error) {
      if (error instanceof UserDataError) throw new DataError(error.message, op.origin.node, error instanceof UserFileMissingError);
      throw error;
    }
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
