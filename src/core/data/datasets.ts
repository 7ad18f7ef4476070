/**
 * The datasets a Data node can read and the params each one takes. Below
 * the node catalogue, so the data sources and the Data node share one list.
 */
import { z } from 'zod';
import { userFileNameProblem } from './user-file-name.ts';

/** Datasets shipped with GenComposer. */
export const BUILTIN_DATASETS = ['mnist', 'two-moons', 'eight-gaussians', 'swiss-roll', 'checkerboard', 'rings', 'names', 'reverse-strings'] as const;
/** Datasets read from a file of the user's own (see docs/data.md). */
export const USER_DATASETS = ['csv', 'images', 'text'] as const;
export const DATASETS = [...BUILTIN_DATASETS, ...USER_DATASETS] as const;
export type DatasetName = (typeof DATASETS)[number];
export type UserDatasetName = (typeof USER_DATASETS)[number];

export const TOY_2D: readonly DatasetName[] = ['two-moons', 'eight-gaussians', 'swiss-roll', 'checkerboard', 'rings'];

export function isUserDataset(dataset: string): dataset is UserDatasetName {
  return (USER_DATASETS as readonly string[]).includes(dataset);
}

/**
 * Characters of the text datasets: index 0 pads, 1 marks the start and the
 * end of a word ('.', as in makemore), 2..27 are 'a'..'z'.
 */
export const CHAR_VOCAB = ['_', '.', ...'abcdefghijklmnopqrstuvwxyz'] as const;
export const CHAR_VOCAB_SIZE = CHAR_VOCAB.length;

/** A user file's name: a relative path of plain segments, checked strictly because graphs are shared. */
const zUserFileName = z.string().superRefine((name, ctx) => {
  const problem = userFileNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const zDataParams = z.strictObject({
  dataset: z.enum(DATASETS).default('mnist'),
  /** MNIST and images: flat vectors [B, H·W·C] or images [B, H, W, C]. */
  layout: z.enum(['flat', 'image']).default('flat'),
  /** MNIST and images: grey levels in [0, 1] (unit), [-1, 1] (signed, for tanh outputs), or 0/1 at half intensity (binary, for Bernoulli likelihoods). */
  range: z.enum(['unit', 'signed', 'binary']).default('unit'),
  /** Text: tokens per training example. */
  context: z.int().min(2).max(1024).default(16),
  /** csv, images, text: the user file (attached in the inspector, or beside the graph file for the CLI). */
  file: zUserFileName.default(''),
  /** csv: numeric columns per row (the label column not counted). */
  columns: z.int().min(1).max(4096).default(2),
  /** csv: whether the first row names the columns (auto: when one of its cells is not a number). */
  header: z.enum(['auto', 'yes', 'no']).default('auto'),
  /** csv: a first or last column of class labels; images: sub-folders as classes. Labels become y. */
  labels: z.enum(['none', 'first-column', 'last-column', 'folders']).default('none'),
  /** images: every image's height and width in pixels. */
  height: z.int().min(1).max(1024).default(28),
  width: z.int().min(1).max(1024).default(28),
  /** images: 1 (grey) or 3 (RGB). */
  channels: z.literal([1, 3]).default(1),
});
/** A Data node's params, defaults filled in. */
export type DataParams = z.output<typeof zDataParams>;
export type DataParamName = keyof DataParams;

/**
 * The params each dataset reads, besides `dataset` itself. The inspector
 * shows only these; the others keep their values in the document (nothing a
 * person set is lost when they try another dataset and come back) and are
 * ignored, in checking as in loading.
 */
export const DATA_PARAMS_BY_DATASET: Readonly<Record<DatasetName, readonly Exclude<DataParamName, 'dataset'>[]>> = {
  mnist: ['layout', 'range'],
  'two-moons': [],
  'eight-gaussians': [],
  'swiss-roll': [],
  checkerboard: [],
  rings: [],
  names: ['context'],
  'reverse-strings': ['context'],
  csv: ['file', 'columns', 'header', 'labels'],
  images: ['file', 'height', 'width', 'channels', 'layout', 'range', 'labels'],
  text: ['file', 'context'],
};

/** Whether a Data node with this dataset reads the param; an unknown dataset reads them all, so nothing is hidden from a person fixing it. */
export function dataParamApplies(dataset: unknown, param: string): boolean {
  if (param === 'dataset') return true;
  const applying = typeof dataset === 'string' && Object.hasOwn(DATA_PARAMS_BY_DATASET, dataset) ? DATA_PARAMS_BY_DATASET[dataset as DatasetName] : undefined;
  return applying ? (applying as readonly string[]).includes(param) : true;
}
