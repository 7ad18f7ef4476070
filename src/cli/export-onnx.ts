/**
 * `gencomposer export FILE --to onnx --out DIR [--checkpoint DIR] [--batch N]`:
 * every network each sampler runs as DIR/<sampler>.<network>.onnx, and
 * DIR/onnx.json describing them (docs/export.md, "ONNX"). The weights are
 * the checkpoint's, as `sample` reads them (weight averages where the graph
 * keeps them), or the seed's initial weights without one.
 */
import { join } from 'node:path';
import { inert, printable } from '../core/base/text.ts';
import { exportOnnx, MAX_ONNX_BATCH, onnxManifest, OPSET } from '../core/export/onnx/index.ts';
import { TrainingSession } from '../core/train/session.ts';
import { UsageError } from './args.ts';
import { checkCheckpointModel, readCheckpointFiles, restoreCheckpointInto } from './checkpoint-files.ts';
import { CliError } from './errors.ts';
import { formatDiagnostic } from './format.ts';
import { prepareOutputFolder, writeFileAtomic } from './run-files.ts';
import { loadProgram, startBackend } from './setup.ts';

/** The manifest beside the models. */
export const ONNX_MANIFEST = 'onnx.json';

/** --batch: the batch every model is traced at (default 1). */
export function parseBatch(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > MAX_ONNX_BATCH) throw new UsageError(inert`--batch must be a whole number from 1 to ${MAX_ONNX_BATCH}, not "${text}"`);
  return n;
}

export async function exportOnnxFiles(file: string, options: { out: string; checkpoint?: string | undefined; batch: number; memoryBudgetMB?: number | undefined }): Promise<number> {
  let program = await loadProgram(file, { memoryBudgetMB: options.memoryBudgetMB });
  if (program.samplers.length === 0) throw new CliError(inert`${file}: the graph has no sampler node, so it runs no network to export to ONNX`, 1);
  const checkpoint = options.checkpoint === undefined ? undefined : await readCheckpointFiles(options.checkpoint);
  if (checkpoint && options.checkpoint !== undefined) {
    // The run's own seed, as `sample` uses it.
    const seedOfRun = checkpoint.manifest.model?.seed;
    if (seedOfRun !== undefined && seedOfRun !== program.document.training.seed) program = await loadProgram(file, { seed: seedOfRun, memoryBudgetMB: options.memoryBudgetMB });
    checkCheckpointModel(options.checkpoint, program, checkpoint, 'weights');
  }
  await startBackend('cpu');
  const session = new TrainingSession(program, () => ({}));
  try {
    if (checkpoint && options.checkpoint !== undefined) restoreCheckpointInto(options.checkpoint, session, checkpoint, 'weights');
    const weightsFrom = checkpoint ? `the weights of checkpoint step ${checkpoint.manifest.step} (their averages where the graph keeps them)` : `the initial weights of seed ${program.document.training.seed}`;
    // Samples come from the weight averages where the graph keeps them: so do the exported networks.
    const result = await session.withAveragedWeights(() => exportOnnx(program, session.variables, { batch: options.batch }));
    if (!result.ok) throw new CliError(result.diagnostics.map((d) => formatDiagnostic(file, d)).join('\n'), 1);
    prepareOutputFolder(options.out);
    for (const f of result.files) writeFileAtomic(join(options.out, f.name), f.bytes);
    writeFileAtomic(join(options.out, ONNX_MANIFEST), onnxManifest(program, result.files, { batch: options.batch, weightsFrom }));
    for (const f of result.files) console.log(printable(join(options.out, f.name)));
    console.log(printable(`${join(options.out, ONNX_MANIFEST)}: ${result.files.length} ONNX model${result.files.length === 1 ? '' : 's'} (opset ${OPSET}, batch ${options.batch}) with ${weightsFrom}`));
    return 0;
  } finally {
    session.dispose();
  }
}
