import { z } from 'zod';
import type { Shape } from '../shapes/shape.ts';
import { defineNode, type NodePorts } from './types.ts';

/** Built-in datasets; user files (CSV, images, text) join this list with the data loaders. */
export const DATASETS = ['mnist', 'two-moons', 'eight-gaussians', 'swiss-roll', 'checkerboard', 'rings', 'names', 'reverse-strings'] as const;
export type DatasetName = (typeof DATASETS)[number];

export const TOY_2D: readonly DatasetName[] = ['two-moons', 'eight-gaussians', 'swiss-roll', 'checkerboard', 'rings'];

/**
 * Characters of the text datasets: index 0 pads, 1 marks the start and the
 * end of a word ('.', as in makemore), 2..27 are 'a'..'z'.
 */
export const CHAR_VOCAB = ['_', '.', ...'abcdefghijklmnopqrstuvwxyz'] as const;
export const CHAR_VOCAB_SIZE = CHAR_VOCAB.length;

const zDataParams = z.strictObject({
  dataset: z.enum(DATASETS).default('mnist'),
  /** MNIST: flat vectors [B, 784] or images [B, 28, 28, 1]. */
  layout: z.enum(['flat', 'image']).default('flat'),
  /** MNIST: grey levels in [0, 1] (unit), [-1, 1] (signed, for tanh outputs), or 0/1 at half intensity (binary, for Bernoulli likelihoods). */
  range: z.enum(['unit', 'signed', 'binary']).default('unit'),
  /** Text: tokens per training example. */
  context: z.int().min(2).max(1024).default(16),
});
type DataParams = z.infer<typeof zDataParams>;

function dataPorts(p: DataParams): NodePorts {
  switch (p.dataset) {
    case 'mnist':
      return { inputs: [], outputs: [{ name: 'x', type: 'tensor', doc: 'images' }, { name: 'y', type: 'tokens', doc: 'digit labels' }] };
    case 'names':
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
    default:
      return { inputs: [], outputs: [{ name: 'x', type: 'tensor', doc: '2D points' }] };
  }
}

export const dataNode = defineNode({
  kind: 'Data',
  category: 'data',
  title: 'Data',
  description: 'Batches from a dataset shipped with GenComposer: MNIST digits, 2D toy sets, first names, or string reversal.',
  params: zDataParams,
  ports: dataPorts,
  infer: ({ params }): Record<string, Shape> => {
    switch (params.dataset) {
      case 'mnist':
        return { x: params.layout === 'flat' ? ['B', 784] : ['B', 28, 28, 1], y: ['B'] };
      case 'names':
        return { x: ['B', params.context], y: ['B', params.context] };
      case 'reverse-strings':
        return { x: ['B', params.context], yIn: ['B', params.context], y: ['B', params.context] };
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
  summary: (p) => p.dataset,
});
