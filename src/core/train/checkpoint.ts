/**
 * Checkpoints in TF.js's artifact layout: a JSON manifest (model.json) and
 * one binary of weights. They hold the variables, every optimizer's state
 * and step, and the training step, so a run resumes to the same numbers.
 *
 * A checkpoint is untrusted input (a file anyone can edit): every field is
 * checked before use, the weights must be finite, and it must have been
 * written by the same model (graph, objectives, optimizers) it is loaded
 * into; a refusal says what differs. Nothing here touches a file system.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { GraphDocument, OptimizerSettings } from '../graph/schema.ts';
import { canonicalJson, saveDocument } from '../graph/save.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import type { TrainingSession } from './session.ts';
import { slotNames } from './optimizers.ts';

export const CHECKPOINT_FORMAT = 'gencomposer.checkpoint';
/** 2 added `model` (what wrote it); version 1 checkpoints are still read, checked by their weights alone. */
export const CHECKPOINT_VERSION = 2;
export const WEIGHTS_FILE = 'weights.bin';
/** Manifests are small; a bigger one is not a checkpoint. */
export const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;
/** Weights of one checkpoint: 2^31 float32 numbers. */
export const WEIGHTS_MAX_BYTES = 8 * 1024 * 1024 * 1024;
const MAX_STEP = 1e9;

/** What a checkpoint was written by: compared on load to name what differs. */
export interface ModelIdentity {
  /** Hash of everything below. */
  fingerprint: string;
  /** [node path, hash of its kind, params and incoming edges]; module bodies as `MODULE/NODE`. */
  nodes: [string, string][];
  objectives: { id: string; share: number; optimizer: OptimizerSettings }[];
  seed: number;
  batchSize: number;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Training steps taken. */
  step: number;
  /** Updates each objective's optimizer has taken, as [objective, updates]. */
  optimizerSteps: [string, number][];
  /** Fingerprint of the whole document (version 1 and the browser's store). */
  graph: string;
  /** Absent in version 1. */
  model?: ModelIdentity;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
}

export class CheckpointError extends Error {}

const SLOT_PREFIX = 'optimizer/';

/** FNV-1a over a text: changes when the text changes. */
export function graphFingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

type IdentityObjectives = readonly { id: string; share: number; optimizer: OptimizerSettings }[];

/**
 * What determines the meaning of a checkpoint's numbers: nodes (kind,
 * params, wiring), objectives and their optimizers, seed and batch size;
 * not names, descriptions, positions, labels or how many steps to take.
 * A sampler's params (count, temperature, guidance) choose how to sample
 * and never touch the weights, so only its kind and wiring count, unless
 * `samplerParams` asks for the identity that checkpoints written before
 * that carry.
 */
export function modelIdentity(document: GraphDocument, objectives: IdentityObjectives, options: { samplerParams?: boolean } = {}): ModelIdentity {
  const nodes: [string, string][] = [];
  const scopes = [{ prefix: '', nodes: document.nodes, edges: document.edges }, ...document.modules.map((m) => ({ prefix: `${m.id}/`, nodes: m.nodes, edges: m.edges }))];
  for (const scope of scopes) {
    const incoming = new Map<string, string[]>();
    for (const e of scope.edges) {
      const list = incoming.get(e.target.node) ?? [];
      list.push(`${e.target.port}<${e.source.node}.${e.source.port}`);
      incoming.set(e.target.node, list);
    }
    for (const node of scope.nodes) {
      const wiring = (incoming.get(node.id) ?? []).sort();
      const params = options.samplerParams || getNodeDefinition(node.kind)?.phase !== 'sample' ? node.params : {};
      nodes.push([`${scope.prefix}${node.id}`, graphFingerprint(canonicalJson({ kind: node.kind, params, wiring }))]);
    }
  }
  nodes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const objectiveList = objectives.map((o) => ({ id: o.id, share: o.share, optimizer: o.optimizer }));
  const { seed, batchSize, data } = document.training;
  return { fingerprint: graphFingerprint(canonicalJson({ nodes, objectives: objectiveList, data })), nodes, objectives: objectiveList, seed, batchSize };
}

/** The identities a checkpoint of this model may carry: today's, and the one of checkpoints whose node hashes held sampler params. */
export interface AcceptedIdentities {
  current: ModelIdentity;
  withSamplerParams: ModelIdentity;
}

export function acceptedIdentities(document: GraphDocument, objectives: IdentityObjectives): AcceptedIdentities {
  return { current: modelIdentity(document, objectives), withSamplerParams: modelIdentity(document, objectives, { samplerParams: true }) };
}

/** The session's document with the seed and batch size it runs with. */
function sessionDocument(session: TrainingSession): GraphDocument {
  return { ...session.program.document, training: { ...session.program.document.training, seed: session.seed, batchSize: session.batchSize } };
}

export function sessionIdentity(session: TrainingSession): ModelIdentity {
  return modelIdentity(sessionDocument(session), session.program.objectives);
}

export async function saveCheckpoint(session: TrainingSession): Promise<Checkpoint> {
  const named: tf.NamedTensorMap = {};
  for (const [key, variable] of session.variables) named[key] = variable;
  const optimizerSteps: [string, number][] = [];
  const slots: tf.Tensor[] = [];
  for (const [id, optimizer] of session.optimizers) {
    optimizerSteps.push([id, optimizer.steps]);
    for (const [slot, value] of Object.entries(optimizer.state())) {
      named[`${SLOT_PREFIX}${id}/${slot}`] = value;
      slots.push(value);
    }
  }
  let encoded: Awaited<ReturnType<typeof tf.io.encodeWeights>>;
  try {
    encoded = await tf.io.encodeWeights(named);
  } finally {
    tf.dispose(slots);
  }
  const { data, specs } = encoded;
  return {
    manifest: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: session.step,
      optimizerSteps,
      graph: graphFingerprint(saveDocument(session.program.document)),
      model: sessionIdentity(session),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    },
    weights: data,
  };
}

/** The first weight that holds a NaN or an infinity, named; undefined when all are finite. */
export function nonFiniteWeight(checkpoint: Checkpoint): string | undefined {
  const values = new Float32Array(checkpoint.weights);
  let offset = 0;
  for (const spec of checkpoint.manifest.weightsManifest[0]!.weights) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    for (let i = offset; i < offset + size; i++) {
      const v = values[i]!;
      if (v - v !== 0) return `"${spec.name}" holds ${v} (at index ${i - offset})`;
    }
    offset += size;
  }
  return undefined;
}

const zName = z.string().min(1).max(512);
const zCount = z.int().min(0).max(MAX_STEP);
const zWeightSpec = z.object({
  name: zName,
  shape: z.array(z.int().min(0).max(2 ** 31 - 1)).max(8),
  dtype: z.literal('float32'),
});
const zIdentity = z.object({
  fingerprint: z.string().max(64),
  nodes: z.array(z.tuple([zName, z.string().max(64)])).max(1_000_000),
  objectives: z.array(z.object({ id: zName, share: z.int().min(1), optimizer: z.record(z.string(), z.unknown()) })).max(1000),
  seed: z.int().min(0),
  batchSize: z.int().min(1),
});
const zManifest = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.union([z.literal(1), z.literal(2)]),
  step: zCount,
  // Version 1 wrote a record; a list keeps names such as "__proto__" inert.
  optimizerSteps: z.union([z.array(z.tuple([zName, zCount])).max(1000), z.record(zName, zCount).transform((r) => Object.entries(r))]),
  graph: z.string().max(64).default(''),
  model: zIdentity.optional(),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string().max(255)).length(1), weights: z.array(zWeightSpec).max(1_000_000) }))
    .length(1),
});

/** Checks a manifest read from an untrusted file before anything uses it. */
export function parseManifest(value: unknown): CheckpointManifest {
  const probe = value as { format?: unknown; version?: unknown } | null;
  if (!probe || typeof probe !== 'object' || probe.format !== CHECKPOINT_FORMAT) throw new CheckpointError('this is not a GenComposer checkpoint (model.json has no "format": "gencomposer.checkpoint")');
  if (probe.version !== 1 && probe.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint version ${String(probe.version).slice(0, 20)} is not supported (this GenComposer reads versions 1 and ${CHECKPOINT_VERSION})`);
  }
  const parsed = zManifest.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CheckpointError(`model.json is invalid at ${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`);
  }
  const manifest = parsed.data as CheckpointManifest;
  if (manifest.version === 2 && !manifest.model) throw new CheckpointError('model.json is invalid: a version 2 checkpoint names the model that wrote it ("model")');
  const names = new Set<string>();
  let elements = 0;
  for (const spec of manifest.weightsManifest[0]!.weights) {
    if (names.has(spec.name)) throw new CheckpointError(`model.json lists the weight "${spec.name}" twice`);
    names.add(spec.name);
    elements += spec.shape.reduce((a, b) => a * b, 1);
    if (elements * 4 > WEIGHTS_MAX_BYTES) throw new CheckpointError(`model.json lists more than ${WEIGHTS_MAX_BYTES / 2 ** 30} GiB of weights`);
  }
  const objectives = new Set<string>();
  for (const [id] of manifest.optimizerSteps) {
    if (objectives.has(id)) throw new CheckpointError(`model.json lists the steps of objective "${id}" twice`);
    objectives.add(id);
  }
  return manifest;
}

/** Bytes of weights the manifest describes. */
export function weightsBytes(manifest: CheckpointManifest): number {
  return manifest.weightsManifest[0]!.weights.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
}

const list = (names: readonly string[], max = 5) => names.slice(0, max).map((n) => `"${n}"`).join(', ') + (names.length > max ? ` and ${names.length - max} more` : '');

/**
 * How the model that wrote a checkpoint differs from this one; empty when it
 * is the same. `alsoAccepted` is this model's identity as older checkpoints
 * wrote it (sampler params included): a node or fingerprint matching it is
 * the same too.
 */
export function identityDifferences(
  saved: ModelIdentity,
  current: ModelIdentity,
  options: { ignore?: readonly ('seed' | 'batchSize')[]; alsoAccepted?: ModelIdentity } = {},
): string[] {
  const ignore = new Set(options.ignore ?? []);
  const out: string[] = [];
  const before = new Map(saved.nodes);
  const after = new Map(current.nodes);
  const older = new Map(options.alsoAccepted?.nodes ?? []);
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const added = [...after.keys()].filter((k) => !before.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k) && before.get(k) !== older.get(k));
  if (changed.length) out.push(`node${changed.length > 1 ? 's' : ''} ${list(changed)} changed (kind, params or inputs)`);
  if (added.length) out.push(`node${added.length > 1 ? 's' : ''} ${list(added)} not in the checkpoint's graph`);
  if (removed.length) out.push(`node${removed.length > 1 ? 's' : ''} ${list(removed)} of the checkpoint's graph missing here`);
  const savedObjectives = new Map(saved.objectives.map((o) => [o.id, o]));
  const currentObjectives = new Map(current.objectives.map((o) => [o.id, o]));
  for (const [id, o] of currentObjectives) {
    const s = savedObjectives.get(id);
    if (!s) {
      out.push(`objective "${id}" is not in the checkpoint`);
      continue;
    }
    if (s.share !== o.share) out.push(`objective "${id}" has share ${s.share} in the checkpoint, ${o.share} here`);
    const fields = [...new Set([...Object.keys(s.optimizer), ...Object.keys(o.optimizer)])].sort();
    for (const field of fields) {
      const a = (s.optimizer as Record<string, unknown>)[field];
      const b = (o.optimizer as Record<string, unknown>)[field];
      if (canonicalJson(a) !== canonicalJson(b)) out.push(`objective "${id}": optimizer ${field} is ${canonicalJson(a)} in the checkpoint, ${canonicalJson(b)} here`);
    }
  }
  for (const id of savedObjectives.keys()) if (!currentObjectives.has(id)) out.push(`objective "${id}" of the checkpoint is missing here`);
  if (!ignore.has('seed') && saved.seed !== current.seed) out.push(`seed is ${saved.seed} in the checkpoint, ${current.seed} here`);
  if (!ignore.has('batchSize') && saved.batchSize !== current.batchSize) out.push(`batch size is ${saved.batchSize} in the checkpoint, ${current.batchSize} here`);
  // Data settings are in the fingerprint only: say so when nothing else explains a difference.
  if (out.length === 0 && saved.fingerprint !== current.fingerprint && saved.fingerprint !== options.alsoAccepted?.fingerprint) {
    out.push('the training data settings (shuffle, validation split) differ');
  }
  return out;
}

/**
 * `resume` continues training: seed, batch size and the share cycle's step
 * counts must match too; `weights` only uses the weights (sampling, a judge).
 */
export type RestorePurpose = 'resume' | 'weights';

/** Updates each objective has taken after `step` steps of the share cycle. */
function expectedOptimizerSteps(session: TrainingSession, step: number): Map<string, number> {
  const cycle = session.program.objectives.flatMap((o) => Array.from({ length: o.share }, () => o.id));
  const out = new Map(session.program.objectives.map((o) => [o.id, 0]));
  const rounds = Math.floor(step / cycle.length);
  cycle.forEach((id, i) => out.set(id, out.get(id)! + rounds + (i < step % cycle.length ? 1 : 0)));
  return out;
}

/** Which slots an optimizer keeps per variable. */

/** Refuses a checkpoint written by another model, naming what differs (version 1 names none: its weights are checked instead). */
export function checkModel(manifest: CheckpointManifest, accepted: AcceptedIdentities, purpose: RestorePurpose): void {
  if (!manifest.model) return;
  const differences = identityDifferences(manifest.model, accepted.current, {
    ignore: purpose === 'resume' ? [] : ['seed', 'batchSize'],
    alsoAccepted: accepted.withSamplerParams,
  });
  const more = differences.length > 3 ? `; and ${differences.length - 3} more differences` : '';
  if (differences.length) throw new CheckpointError(`it was written by another model: ${differences.slice(0, 3).join('; ')}${more}`);
}

/**
 * Checks everything about a checkpoint against a session without changing
 * it: the model that wrote it, every weight's name, shape and values, the
 * optimizer state and steps. Throws CheckpointError naming the first problem.
 */
export function checkCheckpoint(session: TrainingSession, checkpoint: Checkpoint, purpose: RestorePurpose = 'resume'): void {
  const { manifest, weights } = checkpoint;
  const expectedBytes = weightsBytes(manifest);
  if (weights.byteLength !== expectedBytes) throw new CheckpointError(`the weights file holds ${weights.byteLength} bytes; model.json describes ${expectedBytes}`);
  checkModel(manifest, acceptedIdentities(sessionDocument(session), session.program.objectives), purpose);
  const bad = nonFiniteWeight(checkpoint);
  if (bad) throw new CheckpointError(`its weights are not finite: ${bad}`);

  const specs = new Map(manifest.weightsManifest[0]!.weights.map((s) => [s.name, s]));
  for (const [key, variable] of session.variables) {
    const spec = specs.get(key);
    if (!spec) throw new CheckpointError(`the checkpoint has no weights for "${key}": was it saved from another graph?`);
    if (!tf.util.arraysEqual(spec.shape, variable.shape)) {
      throw new CheckpointError(`weights "${key}" have shape [${spec.shape.join(', ')}] in the checkpoint but [${variable.shape.join(', ')}] in this graph`);
    }
  }
  const objectives = new Map(session.program.objectives.map((o) => [o.id, o]));
  for (const [name, spec] of specs) {
    if (session.variables.has(name)) continue;
    const rest = name.startsWith(SLOT_PREFIX) ? name.slice(SLOT_PREFIX.length) : undefined;
    const objectiveId = rest?.slice(0, rest.indexOf('/'));
    const objective = objectiveId === undefined ? undefined : objectives.get(objectiveId);
    if (!rest || !objective) throw new CheckpointError(`the checkpoint holds weights "${name}" that this graph does not have`);
    const slotPath = rest.slice(objectiveId!.length + 1);
    const slot = slotPath.slice(slotPath.lastIndexOf('/') + 1);
    const key = slotPath.slice(0, slotPath.lastIndexOf('/'));
    if (!objective.variables.includes(key) || !slotNames(objective.optimizer).has(slot)) {
      throw new CheckpointError(`the checkpoint holds optimizer state "${name}" that objective "${objective.id}" does not keep`);
    }
    const variable = session.variables.get(key)!;
    if (!tf.util.arraysEqual(spec.shape, variable.shape)) throw new CheckpointError(`optimizer state "${name}" has shape [${spec.shape.join(', ')}]; its weights have [${variable.shape.join(', ')}]`);
  }
  const steps = new Map(manifest.optimizerSteps);
  for (const id of steps.keys()) if (!objectives.has(id)) throw new CheckpointError(`the checkpoint counts steps of objective "${id}", which this graph does not have`);
  if (purpose === 'resume') {
    for (const [id, expected] of expectedOptimizerSteps(session, manifest.step)) {
      const found = steps.get(id) ?? 0;
      if (found !== expected) throw new CheckpointError(`objective "${id}" took ${found} updates in the checkpoint, but step ${manifest.step} of the share cycle means ${expected}`);
    }
  }
}

/** Loads weights, optimizer state and step into a session, after checkCheckpoint passes. */
export function restoreCheckpoint(session: TrainingSession, checkpoint: Checkpoint, purpose: RestorePurpose = 'resume'): void {
  checkCheckpoint(session, checkpoint, purpose);
  const { manifest, weights } = checkpoint;
  const tensors = tf.io.decodeWeights(weights, manifest.weightsManifest[0]!.weights);
  try {
    for (const [key, variable] of session.variables) variable.assign(tensors[key]!);
    const steps = new Map(manifest.optimizerSteps);
    for (const [id, optimizer] of session.optimizers) {
      const prefix = `${SLOT_PREFIX}${id}/`;
      const slots = new Map(Object.entries(tensors).filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]));
      optimizer.restore(steps.get(id) ?? 0, slots);
    }
    session.step = manifest.step;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
