/**
 * The data layer: a Data node's params and the training options in, a
 * DataSource out. Everything here is plain TypeScript (no DOM, no Node);
 * prepared assets (public/data/) come through options.readAsset, which is
 * readPublicAsset (assets.node.ts) in Node and a fetch in the browser, and
 * the user's own files through options.readUserFile.
 */
import { isUserDataset, zDataParams, type DataParams, type DatasetName } from './datasets.ts';
import { openMnist, openMnistTest } from './mnist.ts';
import { openNames } from './names.ts';
import { openReverseStrings } from './reverse-strings.ts';
import type { DataOptions, DataSource, HeldOutSource } from './source.ts';
import { isToy2D, openToy2D } from './toy2d.ts';
import { openUserData } from './user-data.ts';

export type { DataParams } from './datasets.ts';
export type { Batch, DataOptions, DataSource, HeldOutSource } from './source.ts';
export { MNIST_TEST_SIZE } from './mnist.ts';
export { EIGHT_GAUSSIANS_CENTRES, EIGHT_GAUSSIANS_STD, TOY_POOL_SIZE } from './toy2d.ts';
export { REVERSE_POOL_SIZE } from './reverse-strings.ts';
export { parseUserData, summarizeUserData, type UserData } from './user-data.ts';
export { UserDataError, UserFileMissingError, type ReadUserFile, type UserFile, type UserFolder, type UserFolderEntry } from './user-file.ts';
export { USER_DATA_LIMITS } from './user-limits.ts';

/** Params as a graph holds them: the dataset, the rest defaulted. */
export type DataParamsInput = { dataset: DatasetName } & Partial<DataParams>;

/** The source of a Data node's batches, split by options.seed. */
export async function openDataSource(params: DataParamsInput, options: DataOptions): Promise<DataSource> {
  const p = zDataParams.parse(params);
  const dataset = p.dataset;
  if (dataset === 'mnist') return openMnist(p, options);
  if (dataset === 'names') return openNames(p.context, options);
  if (dataset === 'reverse-strings') return openReverseStrings(p.context, options);
  if (isToy2D(dataset)) return openToy2D(dataset, options);
  if (isUserDataset(dataset)) return openUserData({ ...p, dataset }, options);
  throw new Error(`no data source for dataset "${String(dataset satisfies never)}"`);
}

/**
 * The held-out test split that evaluation reports on, where the dataset has
 * one (MNIST: 1,000 images, the same for every seed); undefined otherwise.
 */
export async function openTestSource(params: DataParamsInput, options: Pick<DataOptions, 'readAsset'>): Promise<HeldOutSource | undefined> {
  const p = zDataParams.parse(params);
  return p.dataset === 'mnist' ? openMnistTest(p, options.readAsset) : undefined;
}
