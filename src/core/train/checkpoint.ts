/**
 * Checkpoints in TF.js's artifact layout: a JSON manifest (model.json) and
 * one binary of weights. They hold the variables, every optimizer's state
 * and step, and the training step, so a run resumes to the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { saveDocument } from '../graph/save.ts';
import type { TrainingSession } from './session.ts';

export const CHECKPOINT_FORMAT = 'gencomposer.checkpoint';
export const CHECKPOINT_VERSION = 1;
export const WEIGHTS_FILE = 'weights.bin';

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Training steps taken. */
  step: number;
  /** Updates each objective's optimizer has taken. */
  optimizerSteps: Record<string, number>;
  /** Fingerprint of the graph the weights belong to. */
  graph: string;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
}

const SLOT_PREFIX = 'optimizer/';

/** FNV-1a over the canonical document: changes when the graph or its settings change. */
export function graphFingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export async function saveCheckpoint(session: TrainingSession): Promise<Checkpoint> {
  const named: tf.NamedTensorMap = {};
  for (const [key, variable] of session.variables) named[key] = variable;
  const optimizerSteps: Record<string, number> = {};
  for (const [id, optimizer] of session.optimizers) {
    optimizerSteps[id] = optimizer.steps;
    for (const [slot, value] of Object.entries(optimizer.state())) named[`${SLOT_PREFIX}${id}/${slot}`] = value;
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  return {
    manifest: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: session.step,
      optimizerSteps,
      graph: graphFingerprint(saveDocument(session.program.document)),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    },
    weights: data,
  };
}

export class CheckpointError extends Error {}

/** Checks a manifest read from an untrusted file before anything uses it. */
export function parseManifest(value: unknown): CheckpointManifest {
  const m = value as Partial<CheckpointManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== CHECKPOINT_FORMAT) throw new CheckpointError('this is not a GenComposer checkpoint (model.json has no "format": "gencomposer.checkpoint")');
  if (m.version !== CHECKPOINT_VERSION) throw new CheckpointError(`checkpoint version ${String(m.version)} is not supported (this GenComposer reads version ${CHECKPOINT_VERSION})`);
  if (!Number.isInteger(m.step) || (m.step as number) < 0) throw new CheckpointError('the checkpoint has no valid "step"');
  const groups = m.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || !Array.isArray(groups[0]?.weights)) throw new CheckpointError('the checkpoint has no weights manifest');
  for (const spec of groups[0]!.weights) {
    const ok = spec && typeof spec.name === 'string' && Array.isArray(spec.shape) && spec.shape.every((d) => Number.isInteger(d) && d >= 0) && spec.dtype === 'float32';
    if (!ok) throw new CheckpointError(`the checkpoint lists an invalid weight ${JSON.stringify(spec).slice(0, 80)}`);
  }
  return m as CheckpointManifest;
}

/** Loads weights, optimizer state and step into a session built from the same graph. */
export function restoreCheckpoint(session: TrainingSession, checkpoint: Checkpoint): void {
  const { manifest, weights } = checkpoint;
  const specs = manifest.weightsManifest[0]!.weights;
  const expectedBytes = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (weights.byteLength !== expectedBytes) throw new CheckpointError(`${WEIGHTS_FILE} holds ${weights.byteLength} bytes; the manifest needs ${expectedBytes}`);
  const tensors = tf.io.decodeWeights(weights, specs);
  try {
    for (const [key, variable] of session.variables) {
      const value = tensors[key];
      if (!value) throw new CheckpointError(`the checkpoint has no weights for "${key}": was it saved from another graph?`);
      if (!tf.util.arraysEqual(value.shape, variable.shape)) {
        throw new CheckpointError(`weights "${key}" have shape [${value.shape.join(', ')}] in the checkpoint but [${variable.shape.join(', ')}] in this graph`);
      }
    }
    for (const [key, variable] of session.variables) variable.assign(tensors[key]!);
    for (const [id, optimizer] of session.optimizers) {
      const prefix = `${SLOT_PREFIX}${id}/`;
      const slots = Object.fromEntries(Object.entries(tensors).filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]));
      optimizer.restore(manifest.optimizerSteps[id] ?? 0, slots);
    }
    session.step = manifest.step;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
