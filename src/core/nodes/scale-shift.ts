import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { elementsPerItem } from '../base/shape.ts';
import { checkLogdet, input, logdetInput, logdetOutput, mismatch, scaleBy } from './common.ts';
import { freshConstants } from './constants.ts';
import { pyLiteral } from '../base/python.ts';
import { defineNode } from './types.ts';

const NOT_INVERTIBLE = 'scale 0 maps every input to the shift, so it has no inverse (log|det| = −∞); a flow step needs a non-zero scale';

/**
 * An elementwise affine map with constant scale and shift; with scale 1 it
 * adds a constant. It is a flow step too: the Jacobian is scale · I, so
 * log|det J| = (elements per example) · log|scale|, threaded through the
 * optional `logdet` ports, and the inverse is x = (y − shift) / scale.
 */
export const scaleShiftNode = defineNode({
  kind: 'ScaleShift',
  category: 'layer',
  title: 'Scale and shift',
  description:
    'Elementwise y = x · scale + shift with constant scale and shift (e.g. half the log-variance, or a constant added). Invertible for a non-zero scale; in a flow it adds (elements per example) · log|scale| to the log-determinant.',
  params: z.strictObject({ scale: z.number().min(-1e6).max(1e6).default(1), shift: z.number().min(-1e6).max(1e6).default(0) }),
  ports: { inputs: [{ name: 'x', type: 'tensor' }, logdetInput], outputs: [{ name: 'y', type: 'tensor' }, logdetOutput] },
  infer: ({ inputs, params }) => {
    const x = input(inputs, 'x');
    if (inputs.logdet) {
      if (x[0] !== 'B') throw mismatch('x', 'a batch axis first, to add a log-determinant per example', x);
      checkLogdet(inputs);
      // Threading a log-determinant makes this a flow step, which must be invertible.
      if (params.scale === 0) throw new ShapeError('GC107', { param: 'scale', reason: NOT_INVERTIBLE });
    }
    return { y: x, logdet: ['B'] };
  },
  forward: ({ inputs, params, outputShapes, batchSize, constants = freshConstants }) => {
    const x = inputs.x!;
    const y = params.scale === 1 && params.shift === 0 ? x : tf.tidy(() => tf.add(scaleBy(x, params.scale, constants), constants.scalar(params.shift)));
    const own = elementsPerItem(x.shape.slice(1)) * Math.log(Math.abs(params.scale));
    const logdetIn = inputs.logdet;
    let logdet: tf.Tensor;
    if (logdetIn) logdet = own === 0 ? logdetIn : tf.add(logdetIn, constants.scalar(own));
    else {
      // A constant made on the host rather than by a kernel: most graphs (a VAE's) never read it, and it costs their step nothing.
      const batch = outputShapes.logdet?.[0] ?? x.shape[0] ?? batchSize;
      logdet = tf.tensor1d(new Float32Array(batch).fill(own));
    }
    return { y, logdet };
  },
  invertible: {
    inputs: ['x'],
    outputs: ['y'],
    refuses: (params) => (params.scale === 0 ? NOT_INVERTIBLE : undefined),
    inverse: ({ outputs, params }) => {
      if (params.scale === 0) throw new Error(`ScaleShift: ${NOT_INVERTIBLE}`);
      const y = outputs.y!;
      if (params.scale === 1 && params.shift === 0) return { x: y };
      return { x: tf.tidy(() => tf.div(tf.sub(y, params.shift), params.scale)) };
    },
  },
  torch: {
    inline: (params, inputs, shapes) => {
      const x = inputs.x!;
      const plus = (expr: string, n: number) => (n < 0 ? `${expr} - ${pyLiteral(-n)}` : `${expr} + ${pyLiteral(n)}`);
      let y = params.scale === 1 ? x : `${x} * ${pyLiteral(params.scale)}`;
      if (params.shift !== 0) y = plus(y, params.shift);
      const own = elementsPerItem(shapes.x!.slice(1)) * Math.log(Math.abs(params.scale));
      const logdet = inputs.logdet ? (own === 0 ? inputs.logdet : plus(inputs.logdet, own)) : `${x}.new_full((${x}.shape[0],), ${pyLiteral(own)})`;
      return { y, logdet };
    },
    inverse: (params, outputs) => ({ x: params.scale === 1 && params.shift === 0 ? outputs.y! : `(${outputs.y} - ${pyLiteral(params.shift)}) / ${pyLiteral(params.scale)}` }),
  },
  summary: (p) => `·${p.scale} + ${p.shift}`,
});
