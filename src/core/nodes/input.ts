import { z } from 'zod';
import { defineNode } from './types.ts';

/** A tensor supplied from outside the graph each step (a conditioning vector, a test batch). */
export const inputNode = defineNode({
  kind: 'Input',
  category: 'data',
  title: 'Input',
  description: 'A tensor fed from outside the graph each step, with a fixed shape after the batch axis.',
  params: z.strictObject({
    shape: z.array(z.int().min(1).max(65536)).min(0).max(3).default([1]),
    dtype: z.enum(['float', 'int']).default('float'),
  }),
  ports: (p) => ({ inputs: [], outputs: [{ name: 'x', type: p.dtype === 'int' ? 'tokens' : 'tensor' }] }),
  infer: ({ params }) => ({ x: ['B', ...params.shape] }),
  forward: ({ feeds }) => {
    const x = feeds.x;
    if (!x) throw new Error('Input node was given no tensor for port "x"');
    return { x };
  },
  summary: (p) => `[B, ${p.shape.join(', ')}]`,
});
