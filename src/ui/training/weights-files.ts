/**
 * Trained weights as files: TF.js's artifact pair, model.json (the manifest:
 * step, optimizer steps, the weights' names, shapes and types) and
 * weights.bin; or a safetensors file under the names of the exported
 * model.py's state_dict (what the PyTorch project's train.py writes).
 * Loading checks them against the graph before anything is sent to the
 * worker, so a mismatch gets a clear reason at once.
 */
import type { Program } from '../../core/compiler/program.ts';
import { compile } from '../../core/compiler/program.ts';
import { weightsFromTorch } from '../../core/export/pytorch/import.ts';
import { writeTorchModel } from '../../core/export/pytorch/model.ts';
import { decodeSafetensors } from '../../core/export/safetensors.ts';
import { saveDocument } from '../../core/graph/save.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { Analysis } from '../../core/shapes/analyze.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, graphFingerprint, modelIdentity, nonFiniteWeight, WEIGHTS_FILE, type Checkpoint, type CheckpointManifest } from '../../core/train/checkpoint.ts';

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

/** Whether a picked file is PyTorch weights (a .safetensors file) rather than model.json or weights.bin. */
export function looksLikeSafetensors(name: string): boolean {
  return /\.safetensors$/i.test(name);
}

/** One line: file names and messages from files must not break a notice into several. */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

export type TorchWeightsResult = { ok: true; checkpoint: Checkpoint; tensors: number } | { ok: false; message: string };

/**
 * A checkpoint of the graph (step 0, no optimizer state) from a safetensors
 * file of PyTorch weights, as `gencomposer import-weights` makes one: every
 * tensor of model.py's state_dict must be there with its dtype and shape,
 * nothing else may be, and every value must be finite. `fileName` names the
 * file in the reason for a refusal, which is one line.
 */
export function checkpointFromSafetensors(bytes: Uint8Array, fileName: string, document: GraphDocument, analysis?: Analysis): TorchWeightsResult {
  const fail = (message: string): TorchWeightsResult => ({ ok: false, message: oneLine(message) });
  const compiled = compile(document, analysis);
  if (!compiled.ok) return fail(`${fileName}: the graph has problems to fix first (see the problems panel)`);
  const program = compiled.program;
  const written = writeTorchModel(program);
  if (!written.ok) {
    const first = written.diagnostics[0];
    return fail(`${fileName}: this graph has no PyTorch form to name its weights (${first ? `${first.node ?? 'graph'}: ${first.message}` : 'export refuses it'})`);
  }
  let weights: Map<string, Float32Array>;
  try {
    weights = weightsFromTorch(written.model.parameters, decodeSafetensors(bytes, fileName).tensors, fileName);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  const checkpoint = checkpointOf(program, weights);
  if (typeof checkpoint === 'string') return fail(`${fileName}: ${checkpoint}`);
  const bad = nonFiniteWeight(checkpoint);
  if (bad) return fail(`${fileName}: its weights are not finite: ${bad}`);
  return { ok: true, checkpoint, tensors: written.model.parameters.length };
}

/** The program's variables as a checkpoint at step 0 with fresh optimizers; a reason when one has no values. */
function checkpointOf(program: Program, weights: ReadonlyMap<string, Float32Array>): Checkpoint | string {
  const total = program.variables.reduce((sum, v) => sum + v.shape.reduce((a, b) => a * b, 1), 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const v of program.variables) {
    const values = weights.get(v.key);
    const size = v.shape.reduce((a, b) => a * b, 1);
    if (!values || values.length !== size) return `no values for the graph's weights "${v.key}"`;
    data.set(values, offset);
    offset += size;
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: 0,
    optimizerSteps: [],
    graph: graphFingerprint(saveDocument(program.document)),
    model: modelIdentity(program.document, program.objectives),
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: program.variables.map((v) => ({ name: v.key, shape: [...v.shape], dtype: 'float32' as const })) }],
  };
  return { manifest, weights: data.buffer };
}

/** Where each tensor of a checkpoint's weights starts (in float32 values), and its shape. */
function tensorIndex(manifest: CheckpointManifest, weights: ArrayBuffer): Map<string, { shape: number[]; offset: number }> {
  const specs = manifest.weightsManifest[0]!.weights;
  const expectedBytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (weights.byteLength !== expectedBytes) throw new Error(`the checkpoint's weights hold ${weights.byteLength} bytes, but its manifest describes ${expectedBytes}`);
  const index = new Map<string, { shape: number[]; offset: number }>();
  let offset = 0;
  for (const spec of specs) {
    index.set(spec.name, { shape: spec.shape, offset });
    offset += spec.shape.reduce((a, b) => a * b, 1);
  }
  return index;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The program's variables from a checkpoint (a run's or a stored one):
 * variable key → values. Throws naming the first weight that is missing or
 * has another shape; optimizer state in the checkpoint is passed over.
 */
export function variablesOfCheckpoint(program: Program, manifest: CheckpointManifest, weights: ArrayBuffer): Map<string, Float32Array> {
  const index = tensorIndex(manifest, weights);
  const all = new Float32Array(weights);
  const out = new Map<string, Float32Array>();
  for (const v of program.variables) {
    const spec = index.get(v.key);
    if (!spec) throw new Error(`the checkpoint has no weights for "${v.key}"`);
    if (!sameShape(spec.shape, v.shape)) throw new Error(`weights "${v.key}" have shape ${shapeText(spec.shape)} in the checkpoint but ${shapeText(v.shape)} in this graph`);
    out.set(v.key, all.slice(spec.offset, spec.offset + spec.shape.reduce((a, b) => a * b, 1)));
  }
  return out;
}

/**
 * The weights samples are drawn with, as TrainingSession.withAveragedWeights
 * makes them: each variable an objective keeps a moving average of (its
 * `ema`) takes that average from the checkpoint's optimizer state (stored as
 * `optimizer/OBJECTIVE/KEY/ema`, core/train/checkpoint.ts), the first
 * objective's when several do; the others keep `weights`. Undefined when no
 * objective of the graph keeps averages.
 */
export function averagesOfCheckpoint(program: Program, manifest: CheckpointManifest, buffer: ArrayBuffer, weights: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> | undefined {
  if (!program.objectives.some((o) => o.optimizer.ema > 0)) return undefined;
  const index = tensorIndex(manifest, buffer);
  const all = new Float32Array(buffer);
  const out = new Map(weights);
  const averaged = new Set<string>();
  for (const objective of program.objectives) {
    if (objective.optimizer.ema <= 0) continue;
    for (const key of objective.variables) {
      const spec = index.get(`optimizer/${objective.id}/${key}/ema`);
      const values = weights.get(key);
      if (!spec || !values || averaged.has(key)) continue;
      if (spec.shape.reduce((a, b) => a * b, 1) !== values.length) throw new Error(`the weight average of "${key}" has shape ${shapeText(spec.shape)} in the checkpoint, unlike its weights`);
      out.set(key, all.slice(spec.offset, spec.offset + values.length));
      averaged.add(key);
    }
  }
  return out;
}
