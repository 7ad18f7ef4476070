import { CHAR_VOCAB, dataParamApplies, isUserDataset, zDataParams, type DataParams } from '../data/datasets.ts';
import { ShapeError } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';
import { defineNode, type NodePorts } from './types.ts';

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
