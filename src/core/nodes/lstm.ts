import * as tf from '@tensorflow/tfjs-core';
import { dispatchBound, runFused, threadIndex, WGSL_SQUASHING, WORKGROUP, workgroupGrid, type FusedKernel } from './fused.ts';
import { defineNode } from './types.ts';
import {
  inferRecurrent,
  initialState,
  inputProjections,
  recurrentActivations,
  recurrentPorts,
  recurrentProjection,
  recurrentSequence,
  recurrentTorch,
  type RecurrentParams,
  recurrentVariables,
  sequenceOutput,
  zRecurrentParams,
} from './recurrent.ts';

// ---------------------------------------------------------------- fused form
//
// Where every kernel is a GPU dispatch, the unrolled loop's dozen kernels a
// position forward and some thirty backward become one kernel a position
// forward (the recurrent product, the gates and the new h and c, a thread per
// unit) and two backward (the gates' gradients, then the recurrent product of
// them), as one custom op over the whole sequence whose backward is written
// out (backpropagation through time), with the weights' gradients as one
// product over all positions. Layout: projections [B, T, 4U] (x W + b), the
// states [T + 1, 2, B, U] (h and c before the first position and after each).

interface Step {
  /** The position. */
  step: number;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Sizes read from the projections [B, T, 4U]. */
const lstmSizes = (projections: number[]) => ({ batch: projections[0]!, steps: projections[1]!, gates: projections[2]!, units: projections[2]! / 4 });

/** The four gates' pre-activations of unit u of example b at `step`, from h before it (`state` at `hAt`). */
function gateSums(proj: Float32Array, r: Float32Array, br: Float32Array, state: Float32Array, hAt: number, b: number, u: number, step: number, steps: number, units: number): [number, number, number, number] {
  const gates = 4 * units;
  const row = (b * steps + step) * gates;
  const sums: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    let sum = proj[row + k * units + u]! + br[k * units + u]!;
    for (let j = 0; j < units; j++) sum += state[hAt + b * units + j]! * r[j * gates + k * units + u]!;
    sums[k] = sum;
  }
  return sums;
}

/** WGSL: the four gates' pre-activations ai, af, ag, ao of unit u of example b at uniforms.step, h before it at hAt in `state`. */
const wgslGateSums = (state: string) => `
    let units = uniforms.units;
    let gates = 4 * units;
    let row = (b * uniforms.steps + uniforms.step) * gates + u;
    var ai = projections[row] + recurrentBias[u];
    var af = projections[row + units] + recurrentBias[u + units];
    var ag = projections[row + 2 * units] + recurrentBias[u + 2 * units];
    var ao = projections[row + 3 * units] + recurrentBias[u + 3 * units];
    for (var j = 0; j < units; j++) {
      let hj = ${state}[hAt + b * units + j];
      let at = j * gates + u;
      ai += hj * recurrentKernel[at];
      af += hj * recurrentKernel[at + units];
      ag += hj * recurrentKernel[at + 2 * units];
      ao += hj * recurrentKernel[at + 3 * units];
    }`;

/** A thread per unit of every example: b and u. */
function perUnitProgram(key: string, batch: number, units: number, steps: number, step: number, body: string): ReturnType<FusedKernel<object>['wgsl']> {
  return {
    key,
    workgroupSize: WORKGROUP,
    dispatch: workgroupGrid(Math.ceil((batch * units) / WORKGROUP)),
    uniforms: [
      { name: 'cells', value: batch * units, type: 'i32' },
      { name: 'units', value: units, type: 'i32' },
      { name: 'steps', value: steps, type: 'i32' },
      { name: 'step', value: step, type: 'i32' },
    ],
    code: `${WGSL_SQUASHING}
  fn main(index : i32) {
    let cell = ${threadIndex(WORKGROUP)};
    if (cell >= uniforms.cells) { return; }
    let b = cell / uniforms.units;
    let u = cell % uniforms.units;
    ${body}
  }`,
  };
}

/** One position: from h and c before it ([2, B, U]) to h and c after it. */
const lstmStepKernel: FusedKernel<Step> = {
  name: 'GcLstmStep',
  inputs: ['projections', 'recurrentKernel', 'recurrentBias', 'state'],
  outputShape: ([, , , state]) => state!,
  js: ({ inputs: [proj, r, br, state], shapes, attrs, out }) => {
    const { batch, steps, units } = lstmSizes(shapes[0]!);
    const cells = batch * units;
    for (let b = 0; b < batch; b++) {
      for (let u = 0; u < units; u++) {
        const [ai, af, ag, ao] = gateSums(proj!, r!, br!, state!, 0, b, u, attrs.step, steps, units);
        const c = sigmoid(af) * state![cells + b * units + u]! + sigmoid(ai) * Math.tanh(ag);
        out[b * units + u] = sigmoid(ao) * Math.tanh(c);
        out[cells + b * units + u] = c;
      }
    }
  },
  wgsl: ([proj], attrs) => {
    const { batch, steps, units } = lstmSizes(proj!);
    return perUnitProgram(
      'step',
      batch,
      units,
      steps,
      attrs.step,
      `let hAt = 0;
    ${wgslGateSums('state')}
    let cells = uniforms.cells;
    let c = gcSigmoid(af) * state[cells + cell] + gcSigmoid(ai) * gcTanh(ag);
    result[cell] = gcSigmoid(ao) * gcTanh(c);
    result[cells + cell] = c;`,
    );
  },
};

/**
 * One position backward, [B, 5U]: the gradients of the four gates'
 * pre-activations, then that of c before the position. What reaches h and c
 * after it is the outputs' gradient (dStates) plus the carry from the next
 * position ([2, B, U]: the recurrent product's gradient, and c's).
 */
const lstmStepGradientKernel: FusedKernel<Step> = {
  name: 'GcLstmStepGradient',
  inputs: ['projections', 'recurrentKernel', 'recurrentBias', 'states', 'dStates', 'carry'],
  outputShape: ([proj]) => [proj![0]!, (5 * proj![2]!) / 4],
  js: ({ inputs: [proj, r, br, states, dStates, carry], shapes, attrs, out }) => {
    const { batch, steps, units } = lstmSizes(shapes[0]!);
    const cells = batch * units;
    const before = 2 * cells * attrs.step;
    const after = before + 2 * cells;
    for (let b = 0; b < batch; b++) {
      for (let u = 0; u < units; u++) {
        const at = b * units + u;
        const [ai, af, ag, ao] = gateSums(proj!, r!, br!, states!, before, b, u, attrs.step, steps, units);
        const [i, f, g, o] = [sigmoid(ai), sigmoid(af), Math.tanh(ag), sigmoid(ao)];
        const tanhC = Math.tanh(states![after + cells + at]!);
        const dh = dStates![after + at]! + carry![at]!;
        const dc = dStates![after + cells + at]! + carry![cells + at]! + dh * o * (1 - tanhC * tanhC);
        const row = b * 5 * units;
        out[row + u] = dc * g * i * (1 - i);
        out[row + units + u] = dc * states![before + cells + at]! * f * (1 - f);
        out[row + 2 * units + u] = dc * i * (1 - g * g);
        out[row + 3 * units + u] = dh * tanhC * o * (1 - o);
        out[row + 4 * units + u] = dc * f;
      }
    }
  },
  wgsl: ([proj], attrs) => {
    const { batch, steps, units } = lstmSizes(proj!);
    return perUnitProgram(
      'gradient',
      batch,
      units,
      steps,
      attrs.step,
      `let cells = uniforms.cells;
    let hAt = 2 * cells * uniforms.step;
    let after = hAt + 2 * cells;
    ${wgslGateSums('states')}
    let i = gcSigmoid(ai);
    let f = gcSigmoid(af);
    let g = gcTanh(ag);
    let o = gcSigmoid(ao);
    let tanhC = gcTanh(states[after + cells + cell]);
    let dh = dStates[after + cell] + carry[cell];
    let dc = dStates[after + cells + cell] + carry[cells + cell] + dh * o * (1.0 - tanhC * tanhC);
    let out = b * 5 * units;
    result[out + u] = dc * g * i * (1.0 - i);
    result[out + units + u] = dc * states[hAt + cells + cell] * f * (1.0 - f);
    result[out + 2 * units + u] = dc * i * (1.0 - g * g);
    result[out + 3 * units + u] = dh * tanhC * o * (1.0 - o);
    result[out + 4 * units + u] = dc * f;`,
    );
  },
};

/** The carry to the position before, [2, B, U]: the gates' gradients times the recurrent kernel (h's), and c's gradient. */
const lstmCarryKernel: FusedKernel<object> = {
  name: 'GcLstmCarry',
  inputs: ['stepGradient', 'recurrentKernel'],
  outputShape: ([stepGradient]) => [2, stepGradient![0]!, stepGradient![1]! / 5],
  js: ({ inputs: [sg, r], shapes, out }) => {
    const [batch, width] = shapes[0] as [number, number];
    const units = width / 5;
    const gates = 4 * units;
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < units; j++) {
        let sum = 0;
        for (let k = 0; k < gates; k++) sum += sg![b * width + k]! * r![j * gates + k]!;
        out[b * units + j] = sum;
        out[batch * units + b * units + j] = sg![b * width + gates + j]!;
      }
    }
  },
  wgsl: ([sg]) => {
    const [batch, width] = sg as [number, number];
    return perUnitProgram(
      'carry',
      batch,
      width / 5,
      1,
      0,
      `let units = uniforms.units;
    let gates = 4 * units;
    let row = b * 5 * units;
    var sum = 0.0;
    for (var k = 0; k < gates; k++) { sum += stepGradient[row + k] * recurrentKernel[u * gates + k]; }
    result[cell] = sum;
    result[uniforms.cells + cell] = stepGradient[row + gates + u];`,
    );
  },
};

/** The states [T + 1, 2, B, U] of the whole sequence, one kernel a position, with its gradient written out. */
const lstmStates = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  // customGrad passes the tensors, then the save function.
  const save = args.pop() as tf.GradSaveFunc;
  const [projections, recurrentKernel, recurrentBias, initial] = args as tf.Tensor[];
  const { steps } = lstmSizes(projections!.shape);
  const states = [initial!];
  for (let step = 0; step < steps; step++) states.push(runFused(lstmStepKernel, { projections: projections!, recurrentKernel: recurrentKernel!, recurrentBias: recurrentBias!, state: states.at(-1)! }, { step }));
  const all = tf.stack(states);
  save([projections!, recurrentKernel!, recurrentBias!, all]);
  return {
    value: all,
    gradFunc: (dStates: tf.Tensor, saved: tf.Tensor[]) => {
      const [proj, r, br, statesSaved] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const { batch, gates, units } = lstmSizes(proj.shape);
      let carry: tf.Tensor = tf.zeros([2, batch, units]);
      const gradients: tf.Tensor[] = [];
      for (let step = steps - 1; step >= 0; step--) {
        const stepGradient = runFused(lstmStepGradientKernel, { projections: proj, recurrentKernel: r, recurrentBias: br, states: statesSaved, dStates, carry }, { step });
        gradients[step] = stepGradient;
        carry = runFused(lstmCarryKernel, { stepGradient, recurrentKernel: r }, {});
      }
      // The gates' gradients [T·B, 4U], time first, as the states' h before each position.
      const dGates = tf.reshape(tf.slice(tf.stack(gradients), [0, 0, 0], [steps, batch, gates]), [steps * batch, gates]);
      const hBefore = tf.reshape(tf.slice(statesSaved, [0, 0, 0, 0], [steps, 1, batch, units]), [steps * batch, units]);
      return [
        tf.transpose(tf.reshape(dGates, [steps, batch, gates]), [1, 0, 2]),
        tf.matMul(hBefore, dGates, true, false),
        tf.sum(dGates, 0),
        // Nothing reads the first states but the first position, whose carry this is.
        carry,
      ];
    },
  };
});

/** The LSTM over x [B, T, F] as the fused op: y (every h, or the last), h and c. */
export function lstmFused(x: tf.Tensor, vars: Readonly<Record<string, tf.Tensor>>, params: RecurrentParams, h0?: tf.Tensor, c0?: tf.Tensor): { y: tf.Tensor; h: tf.Tensor; c: tf.Tensor } {
  return tf.tidy(() => {
    const [batch, steps, features] = x.shape as [number, number, number];
    const units = params.units;
    const projections = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [batch * steps, features]), vars.kernel as tf.Tensor2D), vars.bias!), [batch, steps, 4 * units]);
    const initial = tf.stack([initialState(h0, batch, units), initialState(c0, batch, units)]);
    const all = lstmStates(projections, vars.recurrentKernel!, vars.recurrentBias!, initial);
    const h = tf.reshape(tf.slice(all, [steps, 0, 0, 0], [1, 1, batch, units]), [batch, units]);
    const c = tf.reshape(tf.slice(all, [steps, 1, 0, 0], [1, 1, batch, units]), [batch, units]);
    const y = params.returnSequences ? tf.transpose(tf.reshape(tf.slice(all, [1, 0, 0, 0], [steps, 1, batch, units]), [steps, batch, units]), [1, 0, 2]) : h;
    return { y, h, c };
  });
}

/** The unrolled loop in TF.js ops: the reference the fused form is tested against, and what runs elsewhere. */
export function lstmUnfused(x: tf.Tensor, vars: Readonly<Record<string, tf.Tensor>>, params: RecurrentParams, h0?: tf.Tensor, c0?: tf.Tensor): { y: tf.Tensor; h: tf.Tensor; c: tf.Tensor } {
  return tf.tidy(() => {
    const batch = x.shape[0]!;
    let h = initialState(h0, batch, params.units);
    let c = initialState(c0, batch, params.units);
    const hiddens: tf.Tensor[] = [];
    for (const projected of inputProjections(x, vars)) {
      const [i, f, g, o] = tf.split(tf.add(projected, recurrentProjection(h, vars)), 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      hiddens.push(h);
    }
    return { y: sequenceOutput(hiddens, params), h, c };
  });
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997) as torch.nn.LSTM
 * computes it, gates in PyTorch's order (input, forget, cell, output):
 *   i, f, g, o = σ, σ, tanh, σ of (x_t W + b + h_{t−1} R + b_R)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
 * Causal by construction: position t sees positions up to t only.
 */
export const lstmNode = defineNode({
  kind: 'LSTM',
  category: 'layer',
  title: 'LSTM',
  description:
    'Long short-term memory over a sequence [B, T, features], as torch.nn.LSTM (gates input, forget, cell, output; an input and a recurrent bias): returns every hidden state or the last, and the final h and c; h0 and c0 start it (zeros when unconnected). Causal: position t sees positions up to t only, and a sampler runs it one position at a time with its state.',
  params: zRecurrentParams,
  ports: recurrentPorts([
    { input: 'h0', output: 'h', what: 'hidden state' },
    { input: 'c0', output: 'c', what: 'cell state' },
  ]),
  infer: ({ inputs, params }) => inferRecurrent(inputs, params, ['h0', 'c0'], ['h', 'c']),
  variables: ({ inputs, params }) => recurrentVariables(inputs, params.units, 4),
  hiddenActivations: ({ inputs, params }) => recurrentActivations(inputs, params.units, 4),
  // Fused where every kernel is a GPU dispatch; on the CPU backends the unrolled loop's products (wasm's SIMD) win.
  forward: ({ inputs, vars, params, fused }) => (fused && dispatchBound() ? lstmFused : lstmUnfused)(inputs.x!, vars, params, inputs.h0, inputs.c0),
  sequence: recurrentSequence({ h0: 'h', c0: 'c' }),
  torch: recurrentTorch('LSTM'),
  summary: (p) => `${p.units}${p.returnSequences ? '' : ' · last'}`,
});
