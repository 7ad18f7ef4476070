/**
 * Checkpoints on disk: CHECKPOINT_DIR/model.json and the weights file it
 * names (weights-STEP.bin), in TF.js's artifact layout.
 *
 * Writing never leaves a half checkpoint: the new weights go to a file of
 * their own, then model.json is replaced atomically to point at them, and
 * only then are older weights files removed. Reading bounds every file by
 * what the manifest describes and checks everything before use.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  acceptedIdentities,
  CheckpointError,
  checkModel,
  MANIFEST_MAX_BYTES,
  nonFiniteWeight,
  parseManifest,
  restoreCheckpoint,
  saveCheckpoint,
  weightsBytes,
  type Checkpoint,
  type RestorePurpose,
} from '../core/train/checkpoint.ts';
import type { Program } from '../core/compiler/program.ts';
import type { TrainingSession } from '../core/train/session.ts';
import { readInputFile } from './read-file.ts';
import { prepareOutputFolder, writeFileAtomic } from './run-files.ts';
import { inert } from '../core/base/text.ts';
import { CliError } from './errors.ts';

export const MANIFEST_FILE = 'model.json';
/** Weights files this writer makes (and may remove once model.json no longer names them). */
const WEIGHTS_NAME = /^weights(-\d+)?(-\d+)?\.bin$/;

/** A checkpoint's problem as the one line the CLI prints, naming its folder (exit 1); anything else as it is. */
function asCliError(dir: string, error: unknown): unknown {
  return error instanceof CheckpointError ? new CliError(inert`checkpoint ${dir}: ${error.message}`, 1) : error;
}

/** Writes a checkpoint's files; a crash at any moment leaves the previous checkpoint or this one. */
export function writeCheckpointFiles(dir: string, checkpoint: Checkpoint): void {
  prepareOutputFolder(dir, 'checkpoint folder');
  const present = new Set(readdirSync(dir));
  const stem = `weights-${String(checkpoint.manifest.step).padStart(6, '0')}`;
  let name = `${stem}.bin`;
  for (let n = 1; present.has(name); n++) name = `${stem}-${n}.bin`;
  writeFileAtomic(join(dir, name), new Uint8Array(checkpoint.weights));
  const manifest = { ...checkpoint.manifest, weightsManifest: [{ ...checkpoint.manifest.weightsManifest[0]!, paths: [name] }] };
  writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  // Only now is nothing pointing at the older weights; temporary files are leftovers of crashed writers.
  for (const file of present) {
    if ((WEIGHTS_NAME.test(file) && file !== name) || /^\..*\.tmp$/.test(file)) rmSync(join(dir, file), { force: true });
  }
}

/**
 * Saves the session as a checkpoint unless its weights are not finite: a
 * diverged run must never replace the last good checkpoint. Returns why it
 * did not write, or undefined when it did.
 */
export async function writeCheckpointDir(dir: string, session: TrainingSession): Promise<string | undefined> {
  const checkpoint = await saveCheckpoint(session);
  const bad = nonFiniteWeight(checkpoint);
  if (bad) return `the weights at step ${session.step} are not finite (${bad})`;
  writeCheckpointFiles(dir, checkpoint);
  return undefined;
}

/** Reads a checkpoint folder's files, bounded by what model.json describes; throws CliError. */
export async function readCheckpointFiles(dir: string): Promise<Checkpoint> {
  const manifestBytes = await readInputFile(join(dir, MANIFEST_FILE), { maxBytes: MANIFEST_MAX_BYTES, what: 'checkpoint manifest' });
  try {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
    } catch {
      throw new CheckpointError(`${MANIFEST_FILE} is not valid JSON`);
    }
    const manifest = parseManifest(json);
    const path = manifest.weightsManifest[0]!.paths[0]!;
    // The manifest names its weights file; only a plain file name beside it is followed.
    if (!/^[\w.-]+\.bin$/.test(path) || path.startsWith('.')) throw new CheckpointError(`${MANIFEST_FILE} names the weights file ${JSON.stringify(path)}, which is not a file name in the checkpoint folder`);
    const expected = weightsBytes(manifest);
    const weights = await readInputFile(join(dir, path), { maxBytes: expected, what: 'checkpoint weights' });
    if (weights.byteLength !== expected) throw new CheckpointError(`${path} holds ${weights.byteLength} bytes; ${MANIFEST_FILE} describes ${expected}`);
    return { manifest, weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer };
  } catch (error) {
    throw asCliError(dir, error);
  }
}

/** Refuses at once, before a backend starts, a checkpoint that another model wrote. */
export function checkCheckpointModel(dir: string, program: Program, checkpoint: Checkpoint, purpose: RestorePurpose): void {
  try {
    checkModel(checkpoint.manifest, acceptedIdentities(program.document, program.objectives), purpose);
  } catch (error) {
    throw asCliError(dir, error);
  }
}

/** Checks a checkpoint against the session and loads it; problems are CliErrors naming the folder. */
export function restoreCheckpointInto(dir: string, session: TrainingSession, checkpoint: Checkpoint, purpose: RestorePurpose): void {
  try {
    restoreCheckpoint(session, checkpoint, purpose);
  } catch (error) {
    throw asCliError(dir, error);
  }
}

export async function readCheckpointDir(dir: string, session: TrainingSession, purpose: RestorePurpose): Promise<void> {
  restoreCheckpointInto(dir, session, await readCheckpointFiles(dir), purpose);
}
