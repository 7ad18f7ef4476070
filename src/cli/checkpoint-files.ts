/** Checkpoints on disk: CHECKPOINT_DIR/model.json and CHECKPOINT_DIR/weights.bin. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, parseManifest, restoreCheckpoint, saveCheckpoint, WEIGHTS_FILE } from '../core/train/checkpoint.ts';
import type { TrainingSession } from '../core/train/session.ts';
import { CliError } from './setup.ts';

export const MANIFEST_FILE = 'model.json';

export async function writeCheckpointDir(dir: string, session: TrainingSession): Promise<void> {
  const { manifest, weights } = await saveCheckpoint(session);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function readCheckpointDir(dir: string, session: TrainingSession): Promise<void> {
  let manifestText: string;
  let weights: Buffer;
  try {
    manifestText = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    weights = await readFile(join(dir, WEIGHTS_FILE));
  } catch (error) {
    throw new CliError(`cannot read the checkpoint in ${dir}: ${(error as Error).message}`, 2);
  }
  try {
    let json: unknown;
    try {
      json = JSON.parse(manifestText);
    } catch {
      throw new CheckpointError(`${MANIFEST_FILE} is not valid JSON`);
    }
    const manifest = parseManifest(json);
    const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    restoreCheckpoint(session, { manifest, weights: buffer });
  } catch (error) {
    if (error instanceof CheckpointError) throw new CliError(`checkpoint ${dir}: ${error.message}`, 1);
    throw error;
  }
}
