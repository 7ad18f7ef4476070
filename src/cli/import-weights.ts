/**
 * `gencomposer import-weights FILE --from WEIGHTS.safetensors --out DIR`:
 * weights trained in an exported PyTorch project become a checkpoint of the
 * graph (step 0, fresh optimizer state), for `sample` and the app's previews.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inert, printable } from '../core/base/text.ts';
import { decodeSafetensors, SafetensorsError } from '../core/export/safetensors.ts';
import { weightsFromTorch, WeightsImportError } from '../core/export/pytorch/import.ts';
import { writeTorchModel } from '../core/export/pytorch/model.ts';
import { TrainingSession } from '../core/train/session.ts';
import { parseFlags, UsageError } from './args.ts';
import { writeCheckpointDir } from './checkpoint-files.ts';
import { CliError } from './errors.ts';
import { formatDiagnostic } from './format.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { readInputFile } from './read-file.ts';
import { loadProgram, startBackend } from './setup.ts';

export const IMPORT_WEIGHTS_USAGE = 'import-weights FILE --from WEIGHTS.safetensors --out DIR [--memory-budget MB]';

/** A weights file of more than this is not one of a graph GenComposer trains (the checkpoint limit). */
const MAX_WEIGHTS_BYTES = 8 * 1024 * 1024 * 1024;

export async function importWeightsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { from: { type: 'string' }, out: { type: 'string' }, ...MEMORY_BUDGET_FLAG });
  if (positionals.length !== 1) throw new UsageError('name exactly one graph file');
  if (!values.from) throw new UsageError('--from WEIGHTS.safetensors is required (model.py\'s state_dict, as train.py writes it)');
  if (!values.out) throw new UsageError('--out DIR is required: the checkpoint folder to write');
  const file = positionals[0]!;
  const program = await loadProgram(file, { memoryBudgetMB: parseMemoryBudget(values['memory-budget']) });
  const model = writeTorchModel(program);
  if (!model.ok) throw new CliError(model.diagnostics.map((d) => formatDiagnostic(file, d)).join('\n'), 1);
  const bytes = await readInputFile(values.from, { maxBytes: MAX_WEIGHTS_BYTES, what: 'weights file' });
  let weights: Map<string, Float32Array>;
  try {
    weights = weightsFromTorch(model.model.parameters, decodeSafetensors(bytes, values.from).tensors, values.from);
  } catch (error) {
    if (error instanceof SafetensorsError || error instanceof WeightsImportError) throw new CliError(printable(error.message), 1);
    throw error;
  }
  await startBackend('cpu');
  const session = new TrainingSession(program, () => ({}));
  try {
    for (const [key, variable] of session.variables) {
      const value = tf.tensor(weights.get(key)!, variable.shape);
      variable.assign(value);
      value.dispose();
    }
    const refused = await writeCheckpointDir(values.out, session);
    if (refused) throw new CliError(inert`${values.from}: ${refused}`, 1);
  } finally {
    session.dispose();
  }
  console.log(printable(`${values.out}: checkpoint with ${weights.size} weights from ${values.from}`));
  return 0;
}
