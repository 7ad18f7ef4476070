import { z } from 'zod';
import { userFileNameProblem } from '../data/user-file-name.ts';
import { ShapeError } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';
import { defineNode, type NodePorts } from './types.ts';

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

const zDataParams = z.strictObject({
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
type DataParams = z.infer<typeof zDataParams>;
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

const labelsPort = { name: 'y', type: 'tokens', doc: 'class labels' } as const;

function dataPorts(p: DataParams): NodePorts {
  switch (p.dataset) {
    case 'mnist':
      return { inputs: [], outputs: [{ name: 'x', type: 'tensor', doc: 'images' }, { name: 'y', type: 'tokens', doc: 'digit labels' }] };
    case 'names':
    case 'text':
      return { inputs: [], outputs: [{ name: 'x', type: 'tokens', doc: 'input characters' }, { name: 'y', type: 'tokens', doc: 'next characters' }] };
    case 'reverse-strings':
      return {
        inputs: [],
        outputs: [
          { name: 'x', type: 'tokens', doc: 'source string' },
          { name: 'yIn', type: 'tokens', doc: 'target shifted right (decoder input)' },
          { name: 'y', type: 'tokens', doc: 'reversed string' },
        ],
      };
    case 'csv':
      return { inputs: [], outputs: [{ name: 'x', type: 'tensor', doc: 'numeric columns' }, ...(p.labels === 'none' ? [] : [labelsPort])] };
    case 'images':
      return { inputs: [], outputs: [{ name: 'x', type: 'tensor', doc: 'images' }, ...(p.labels === 'none' ? [] : [labelsPort])] };
    default:
      return { inputs: [], outputs: [{ name: 'x', type: 'tensor', doc: '2D points' }] };
  }
}

/** Params that only make sense together; each problem is reported on its param. */
function checkUserParams(p: DataParams): void {
  const labelsFit = p.labels === 'none' || (p.dataset === 'csv' ? p.labels !== 'folders' : p.dataset === 'images' && p.labels === 'folders');
  if (dataParamApplies(p.dataset, 'labels') && !labelsFit) {
    const allowed = p.dataset === 'csv' ? 'none, first-column or last-column' : 'none or folders';
    throw new ShapeError('GC107', { param: 'labels', reason: `the ${p.dataset} dataset takes labels ${allowed}, not ${p.labels}` });
  }
  if (isUserDataset(p.dataset) && p.file === '') {
    throw new ShapeError('GC107', { param: 'file', reason: `the ${p.dataset} dataset reads a file of yours: attach one in the inspector, or name a file beside the graph file` });
  }
}

export const dataNode = defineNode({
  kind: 'Data',
  category: 'data',
  title: 'Data',
  description:
    'Batches from a dataset shipped with GenComposer (MNIST digits, 2D toy sets, first names, string reversal) or from a file of yours: a CSV table, a zip of PNG images, or a text file with one example per line.',
  params: zDataParams,
  ports: dataPorts,
  infer: ({ params }): Record<string, Shape> => {
    checkUserParams(params);
    switch (params.dataset) {
      case 'mnist':
        return { x: params.layout === 'flat' ? ['B', 784] : ['B', 28, 28, 1], y: ['B'] };
      case 'names':
      case 'text':
        return { x: ['B', params.context], y: ['B', params.context] };
      case 'reverse-strings':
        return { x: ['B', params.context], yIn: ['B', params.context], y: ['B', params.context] };
      case 'csv':
        return { x: ['B', params.columns], ...(params.labels === 'none' ? {} : { y: ['B'] }) };
      case 'images': {
        const { height, width, channels } = params;
        return { x: params.layout === 'flat' ? ['B', height * width * channels] : ['B', height, width, channels], ...(params.labels === 'none' ? {} : { y: ['B'] }) };
      }
      default:
        return { x: ['B', 2] };
    }
  },
  forward: ({ feeds, params }) => {
    const out: Record<string, NonNullable<(typeof feeds)[string]>> = {};
    for (const port of dataPorts(params).outputs) {
      const t = feeds[port.name];
      if (!t) throw new Error(`Data node was given no batch for port "${port.name}"`);
      out[port.name] = t;
    }
    return out;
  },
  summary: (p) => (isUserDataset(p.dataset) ? `${p.dataset}: ${p.file || 'no file'}` : p.dataset),
  tokenIds: { produces: dataTokenIds },
});

/** How many ids each tokens output can carry; labels read from a file are counted only when the file is read. */
function dataTokenIds(p: DataParams): Record<string, number> {
  switch (p.dataset) {
    case 'mnist':
      return { y: 10 };
    case 'names':
    case 'text':
      return { x: CHAR_VOCAB.length, y: CHAR_VOCAB.length };
    case 'reverse-strings':
      return { x: CHAR_VOCAB.length, yIn: CHAR_VOCAB.length, y: CHAR_VOCAB.length };
    default:
      return {};
  }
}

