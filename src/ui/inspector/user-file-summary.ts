/**
 * What the inspector says about a Data node's user file: parsed as the
 * node's params declare it, a one-line summary, or the problem in words.
 */
import { parseUserData, summarizeUserData } from '../../core/data/user-data.ts';
import { UserDataError, type ReadUserFile } from '../../core/data/user-file.ts';
import { isUserDataset, type UserDatasetName } from '../../core/data/datasets.ts';
import { dataNode } from '../../core/nodes/data.ts';

export type UserFileReport = { ok: true; summary: string } | { ok: false; error: string };

/** File types the file picker offers, per user dataset. */
export const ACCEPTED_FILES: Readonly<Record<UserDatasetName, string>> = {
  csv: '.csv,text/csv',
  images: '.zip,application/zip',
  text: '.txt,text/plain',
};

/** Reads the node's file through `read` and checks it against its params; undefined when there is nothing to report. */
export async function reportUserFile(rawParams: unknown, read: ReadUserFile): Promise<UserFileReport | undefined> {
  const parsed = dataNode.params.safeParse(rawParams);
  if (!parsed.success) return undefined;
  const params = parsed.data;
  const dataset = params.dataset;
  if (!isUserDataset(dataset) || params.file === '') return undefined;
  try {
    return { ok: true, summary: summarizeUserData(await parseUserData({ ...params, dataset }, await read(params.file))) };
  } catch (error) {
    if (error instanceof UserDataError) return { ok: false, error: error.message };
    return { ok: false, error: `${params.file} cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}
