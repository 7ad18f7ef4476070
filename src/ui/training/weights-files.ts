/**
 * Trained weights as files: TF.js's artifact pair, model.json (the manifest:
 * step, optimizer steps, the weights' names, shapes and types) and
 * weights.bin. Loading checks them against the graph before anything is
 * sent to the worker, so a mismatch gets a clear reason at once.
 */
import { compile } from '../../core/compiler/program.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { Analysis } from '../../core/shapes/analyze.ts';
import type { CheckpointManifest } from '../../core/train/checkpoint.ts';

export function weightsFiles(manifest: unknown, weights: ArrayBuffer): { model: Blob; weights: Blob } {
  return {
    model: new Blob([`${JSON.stringify(manifest, null, 2)}\n`], { type: 'application/json' }),
    weights: new Blob([weights], { type: 'application/octet-stream' }),
  };
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Why these weights do not fit the graph, or undefined when they do. */
/** `analysis` is the editor's (made under the app's memory limit); without it, the default limit applies. */
export function checkWeightsFit(manifest: CheckpointManifest, weightBytes: number, document: GraphDocument, analysis?: Analysis): string | undefined {
  const specs = manifest.weightsManifest[0]!.weights;
  const expectedBytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (weightBytes !== expectedBytes) return `weights.bin holds ${weightBytes} bytes, but model.json describes ${expectedBytes}`;
  const compiled = compile(document, analysis);
  if (!compiled.ok) return 'the graph has problems to fix first';
  const byName = new Map(specs.map((s) => [s.name, s.shape]));
  const missing: string[] = [];
  for (const variable of compiled.program.variables) {
    const shape = byName.get(variable.key);
    if (!shape) missing.push(variable.key);
    else if (shape.length !== variable.shape.length || shape.some((d, i) => d !== variable.shape[i])) {
      return `weights "${variable.key}" have shape ${shapeText(shape)} in the file but ${shapeText(variable.shape)} in this graph`;
    }
  }
  if (missing.length) {
    const listed = missing.slice(0, 3).map((k) => `"${k}"`).join(', ');
    return `the file has no weights for ${listed}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}: were they trained on another graph?`;
  }
  return undefined;
}
