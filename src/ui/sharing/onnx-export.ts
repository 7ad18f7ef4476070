/**
 * Share ▸ Export ▸ ONNX models: the files `gencomposer export FILE --to onnx
 * --out DIR` writes (every network each sampler runs, as
 * `<sampler>.<network>.onnx`, and onnx.json describing them), in one zip
 * under a folder named after the graph. The weights are the ones the
 * PyTorch export takes (the run's, the stored checkpoint's, else the seed's
 * initial ones), with their averages where the graph keeps them, as the
 * CLI and sampling use them. The networks are traced on this thread, on a
 * CPU backend of the export's own (core/export/onnx), loaded when first
 * asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../../core/compiler/program.ts';
import { initialWeights } from '../../core/export/pytorch/project.ts';
import type { ProjectFile } from '../../core/export/pytorch/project.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { Analysis } from '../../core/shapes/analyze.ts';
import { fileStem } from './downloads.ts';
import { heldWeights, messageOf, problemLines, refused, zipFiles, type ExportRefusal, type ExportSources } from './pytorch-export.ts';

/** The batch the networks are traced at, and so take (the CLI's default; `--batch N` there for others). */
export const APP_ONNX_BATCH = 1;

/** The manifest beside the models (the CLI's ONNX_MANIFEST). */
const MANIFEST = 'onnx.json';

export type OnnxExport =
  | {
      ok: true;
      fileName: string;
      zip: Uint8Array;
      /** The models and onnx.json, by their name in the zip's folder. */
      files: ProjectFile[];
      weightsFrom: string;
    }
  | ExportRefusal;

/** The name of the zip: `MLP VAE on MNIST` → `mlp-vae-on-mnist-onnx.zip`. */
export function onnxZipName(document: GraphDocument): string {
  return `${fileStem(document.meta.name)}-onnx.zip`;
}

/** Exports the sampler networks of the graph as ONNX models and zips them, or says why it cannot. */
export async function exportOnnxModels(document: GraphDocument, analysis: Analysis, sources: Pick<ExportSources, 'weights'>, options: { batch?: number } = {}): Promise<OnnxExport> {
  const name = document.meta.name;
  const batch = options.batch ?? APP_ONNX_BATCH;
  const compiled = compile(document, analysis);
  if (!compiled.ok) {
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    return refused(`“${name}” cannot be exported until its problems are fixed; nothing was downloaded.`, problemLines(errors, document));
  }
  const program = compiled.program;
  if (program.samplers.length === 0) return refused(`“${name}” has no sampler node, so it runs no network to export to ONNX; nothing was downloaded.`);

  const held = await heldWeights(program, sources);
  if (!held.ok) return refused(`“${name}” was not exported: its trained weights could not be read (${held.reason}); nothing was downloaded.`);
  // Samples come from the weight averages where the graph keeps them: so do the exported networks.
  const values = held.averaged ?? held.weights ?? initialWeights(program);
  const weightsFrom = held.weightsFrom ? `${held.weightsFrom}${held.averaged ? ' (their averages where the graph keeps them)' : ''}` : `the initial weights of seed ${program.document.training.seed}`;

  const { exportOnnx, onnxManifest } = await import('../../core/export/onnx/index.ts');
  let result: Awaited<ReturnType<typeof exportOnnx>>;
  // The page runs no other TF.js work: the weights are handed over as CPU tensors.
  await tf.setBackend('cpu');
  const variables = new Map(program.variables.map((v) => [v.key, tf.tensor(values.get(v.key)!, v.shape)]));
  try {
    result = await exportOnnx(program, variables, { batch });
  } catch (error) {
    return refused(`“${name}” was not exported to ONNX: ${messageOf(error)}; nothing was downloaded.`);
  } finally {
    tf.dispose([...variables.values()]);
  }
  if (!result.ok) return refused(`“${name}” cannot be exported to ONNX; nothing was downloaded.`, problemLines(result.diagnostics, document));

  const files: ProjectFile[] = [...result.files.map((f) => ({ path: f.name, data: f.bytes })), { path: MANIFEST, data: onnxManifest(program, result.files, { batch, weightsFrom }) }];
  const folder = `${fileStem(name)}-onnx`;
  const zip = await zipFiles(files.map((f) => ({ path: `${folder}/${f.path}`, data: f.data })));
  return { ok: true, fileName: onnxZipName(document), zip, files, weightsFrom };
}
