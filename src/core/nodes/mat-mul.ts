import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { sameShape } from '../base/shape.ts';
import { BINARY_PORTS, expectRank, input, mismatch } from './common.ts';
import { pyLiteral } from '../base/python.ts';
import { defineNode } from './types.ts';

/** Batched matrix product over the last two axes, e.g. attention scores q·kᵀ. */
export const matMulNode = defineNode({
  kind: 'MatMul',
  category: 'layer',
  title: 'Matrix multiply',
  description: 'Multiplies the matrices in the last two axes of a and b (optionally bᵀ), for every leading index, then scales the result.',
  params: z.strictObject({
    /** Use b's last two axes transposed (q·kᵀ). */
    transposeB: z.boolean().default(false),
    /** Multiplies the product, e.g. 1/√d for attention scores. */
    scale: z.number().min(-1e6).max(1e6).default(1),
  }),
  ports: BINARY_PORTS,
  infer: ({ inputs, params }) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    expectRank(a, 'a', 3, 4, '[B, m, k] or [B, H, m, k]');
    const lead = a.slice(0, -2);
    if (b.length !== a.length || !sameShape(b.slice(0, -2), lead)) {
      throw mismatch('b', `[${lead.join(', ')}, …, …] (the rank and leading axes of a)`, b);
    }
    const k = a[a.length - 1]!;
    const [bRows, bCols] = [b[b.length - 2]!, b[b.length - 1]!];
    const inner = params.transposeB ? bCols : bRows;
    const n = params.transposeB ? bRows : bCols;
    if (inner !== k) {
      throw mismatch('b', `${k} ${params.transposeB ? 'columns (transposeB is on)' : 'rows'} to match a's last axis`, b);
    }
    return { y: [...lead, a[a.length - 2]!, n] };
  },
  forward: ({ inputs, params }) => {
    const y = tf.tidy(() => {
      const product = tf.matMul(inputs.a!, inputs.b!, false, params.transposeB);
      return params.scale === 1 ? product : tf.mul(product, params.scale);
    });
    return { y };
  },
  torch: {
    inline: (params, inputs) => ({
      y: `${inputs.a} @ ${inputs.b}${params.transposeB ? '.transpose(-2, -1)' : ''}${params.scale === 1 ? '' : ` * ${pyLiteral(params.scale)}`}`,
    }),
  },
  summary: (p) => `${p.transposeB ? 'a·bᵀ' : 'a·b'}${p.scale === 1 ? '' : ` · ${Number(p.scale.toPrecision(4))}`}`,
});
