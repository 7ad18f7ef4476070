/**
 * Data nodes that read a file of the user's own (datasets csv, images,
 * text): the file comes through options.readUserFile, is parsed and
 * checked against the shape the node declares, and becomes an in-memory
 * source split and batched like the shipped datasets.
 */
import { CHAR_VOCAB, type DataParams, type UserDatasetName } from './datasets.ts';
import { parseCsv, type CsvTable } from './csv.ts';
import { readImages, type ImageSet } from './images.ts';
import { greyLookup } from './mnist.ts';
import { nameRows } from './names.ts';
import type { DataOptions, DataSource } from './source.ts';
import { checkOptions, range, splitIndices, streamRng, TableSource, type Column } from './table.ts';
import { decodeTokens } from './text.ts';
import { parseTextLines, type TextLines } from './text-lines.ts';
import { isUserFolder, UserDataError, type UserFile } from './user-file.ts';

export type UserData =
  | { dataset: 'csv'; table: CsvTable }
  | { dataset: 'images'; images: ImageSet }
  | { dataset: 'text'; text: TextLines };

type UserParams = DataParams & { dataset: UserDatasetName };

function bytesOf(file: UserFile, name: string, dataset: string): Uint8Array {
  if (isUserFolder(file)) throw new UserDataError(`${name} is a folder; the ${dataset} dataset reads one file`);
  return file;
}

/** Parses a user file as the Data node's params declare it; every problem is a UserDataError. */
export async function parseUserData(params: UserParams, file: UserFile): Promise<UserData> {
  const name = params.file;
  switch (params.dataset) {
    case 'csv':
      return { dataset: 'csv', table: parseCsv(bytesOf(file, name, 'csv'), name, params) };
    case 'images':
      return { dataset: 'images', images: await readImages(file, name, params) };
    case 'text':
      return { dataset: 'text', text: parseTextLines(bytesOf(file, name, 'text'), name, params.context) };
  }
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** One line saying what a parsed file holds, e.g. "120 rows × 4 columns, 3 classes". */
export function summarizeUserData(data: UserData): string {
  const classes = (list: readonly string[] | undefined) => (list ? `, ${plural(list.length, 'class').replace(/classs$/, 'classes')}` : '');
  switch (data.dataset) {
    case 'csv':
      return `${plural(data.table.rows, 'row')} × ${plural(data.table.columns, 'column')}${data.table.columnNames ? ' (with a header)' : ''}${classes(data.table.classes)}`;
    case 'images': {
      const { count, shape } = data.images;
      return `${plural(count, 'image')} of ${shape.height}×${shape.width}×${shape.channels}${classes(data.images.classes)}`;
    }
    case 'text':
      return `${plural(data.text.lines.length, 'line')}, the longest ${plural(data.text.longest, 'letter')}`;
  }
}

function columnsOf(data: UserData, params: DataParams): Record<string, Column> {
  switch (data.dataset) {
    case 'csv': {
      const { table } = data;
      const columns: Record<string, Column> = { x: { dtype: 'float32', shape: [table.columns], values: table.values } };
      if (table.labels) columns.y = { dtype: 'int32', shape: [], values: table.labels };
      return columns;
    }
    case 'images': {
      const { images } = data;
      const { height, width, channels } = images.shape;
      const columns: Record<string, Column> = {
        x: { dtype: 'float32', shape: params.layout === 'image' ? [height, width, channels] : [height * width * channels], values: images.pixels, lookup: greyLookup(params.range) },
      };
      if (images.labels) columns.y = { dtype: 'int32', shape: [], values: images.labels };
      return columns;
    }
    case 'text': {
      const { tokens } = nameRows(data.text.lines, params.context);
      const stride = params.context + 1;
      return {
        x: { dtype: 'int32', shape: [params.context], values: tokens, stride, offset: 0 },
        y: { dtype: 'int32', shape: [params.context], values: tokens, stride, offset: 1 },
      };
    }
  }
}

function exampleCount(data: UserData): number {
  return data.dataset === 'csv' ? data.table.rows : data.dataset === 'images' ? data.images.count : data.text.lines.length;
}

export async function openUserData(params: UserParams, options: DataOptions): Promise<DataSource> {
  checkOptions(options);
  if (params.file === '') throw new UserDataError(`no file is named: attach a ${params.dataset} file to the Data node in the inspector, or name one beside the graph file`);
  if (!options.readUserFile) throw new UserDataError(`${params.file} cannot be read here: this environment reads no files of yours`);
  const data = await parseUserData(params, await options.readUserFile(params.file));
  const n = exampleCount(data);
  const split = splitIndices(range(n), options.validationSplit, streamRng(options.seed, 'split'));
  if (split.train.length === 0) throw new UserDataError(`${params.file} has ${plural(n, 'example')}, which leaves none to train on after the validation split`);
  const text = data.dataset === 'text' ? data.text.lines : undefined;
  return new TableSource(
    {
      dataset: params.dataset,
      columns: columnsOf(data, params),
      split,
      ...(text ? { vocabulary: CHAR_VOCAB, decode: decodeTokens, trainingTexts: new Set(Array.from(split.train, (i) => text[i]!)) } : {}),
    },
    options,
  );
}
