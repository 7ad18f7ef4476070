/**
 * Gradients a node needs of one of its inputs with respect to another
 * (NodeDefinition.inputGradients): a gradient penalty's ∇ₓ̂ D(x̂). The ops
 * between the two values are run again as a function of `wrt` under
 * tf.grad; inside a training step (tf.variableGrads) TF.js records that
 * backward pass on the outer tape, so the step differentiates it once more
 * (a second-order gradient).
 *
 * TF.js's gradients that keep an op's output are swapped, while the input
 * gradient is taken, for ones that keep its input (see INPUT_SAVING): the
 * second pass would not see those outputs.
 *
 * The gradient of sum(of) is taken, so each example's gradient is its own
 * only when the ops between treat examples independently (no BatchNorm:
 * `batchCoupling` names the kinds that do not).
 */
import * as tf from '@tensorflow/tfjs-core';
// tf.grad needs TF.js's gradient functions wherever a forward pass takes an input gradient (see train/gradients.ts).
import '#register-gradients';
import { nameRecord } from '../base/names.ts';
import type { InputGradient } from '../nodes/types.ts';
import { diagnostic, type Diagnostic } from '../base/diagnostics.ts';
import type { Analysis, FlatOp } from '../shapes/analyze.ts';

/**
 * Comparisons (Greater, ...) are piecewise constant: their gradient is zero
 * wherever it exists. TF.js registers none, and the gradients of LeakyRelu,
 * Maximum, Minimum and friends use them, so differentiating those gradients
 * again (a gradient penalty) would stop with "gradient function not found".
 */
const COMPARISONS: Readonly<Record<string, readonly string[]>> = {
  Greater: ['a', 'b'],
  GreaterEqual: ['a', 'b'],
  Less: ['a', 'b'],
  LessEqual: ['a', 'b'],
  Equal: ['a', 'b'],
  NotEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'],
  LogicalOr: ['a', 'b'],
  LogicalNot: ['x'],
  IsNan: ['x'],
  IsInf: ['x'],
};
for (const [kernelName, inputs] of Object.entries(COMPARISONS)) {
  if (tf.getGradient(kernelName)) continue;
  tf.registerGradient({
    kernelName,
    inputsToSave: [...inputs],
    gradFunc: (_dy, saved) => nameRecord(saved.map((t, i) => [inputs[i]!, () => tf.zerosLike(t)])),
  });
}

/**
 * TF.js keeps the outputs of Tanh, Sigmoid, Exp, Elu, Softmax, LogSoftmax
 * and Pow for their gradients as clones that it records on the tape before
 * the op itself, so a second pass over the tape does not see them: the
 * gradient of such a gradient silently misses its terms (a tanh critic's
 * penalty would train on wrong numbers). While an input gradient is taken,
 * these gradients keep the op's inputs instead and recompute the output.
 */
const INPUT_SAVING: readonly tf.GradConfig[] = [
  { kernelName: 'Tanh', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(tf.tanh(x!)))) }) },
  {
    kernelName: 'Sigmoid',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({
      x: () => {
        const y = tf.sigmoid(x!);
        return tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y)));
      },
    }),
  },
  { kernelName: 'Exp', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.exp(x!)) }) },
  { kernelName: 'Elu', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.where(tf.greater(x!, 0), dy as tf.Tensor, tf.mul(dy as tf.Tensor, tf.exp(x!))) }) },
  {
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, [logits], attrs) => ({
      logits: () => {
        const dim = (attrs as { dim: number }).dim;
        const y = tf.softmax(logits!, dim);
        const dyTimesY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    }),
  },
  {
    kernelName: 'LogSoftmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, [logits], attrs) => ({
      logits: () => {
        const axis = (attrs as { axis: number }).axis;
        return tf.sub(dy as tf.Tensor, tf.mul(tf.sum(dy as tf.Tensor, axis, true), tf.softmax(logits!, axis)));
      },
    }),
  },
  {
    kernelName: 'Pow',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      const reduce = (t: tf.Tensor, like: tf.Tensor) => {
        const axes = tf.broadcast_util.getReductionAxes(like.shape, shape);
        return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, like.shape);
      };
      return {
        a: () => reduce(tf.mul(dy as tf.Tensor, tf.mul(tf.cast(b!, 'float32'), tf.pow(a!, tf.sub(tf.cast(b!, 'float32'), 1)))), a!),
        b: () => reduce(tf.mul(dy as tf.Tensor, tf.mul(tf.pow(a!, b!), tf.where(tf.greater(a!, 0), tf.log(a!), tf.zerosLike(a!)))), b!),
      };
    },
  },
];

/** Runs `f` with the input-saving gradients above registered, and the usual ones back afterwards. */
function withInputSavingGradients<T>(f: () => T): T {
  const previous = INPUT_SAVING.map((config) => tf.getGradient(config.kernelName));
  for (const config of INPUT_SAVING) tf.registerGradient(config);
  try {
    return f();
  } finally {
    previous.forEach((config) => {
      if (config) tf.registerGradient(config);
    });
  }
}

/** Kinds that mix the examples of a batch: through them the gradient of sum(D) is not each example's own. */
export const BATCH_COUPLING_KINDS: ReadonlySet<string> = new Set(['BatchNorm']);

/** The ops of `ops` that lie on a path from value `from` to value `to`, in order. */
export function opsBetween(ops: readonly FlatOp[], from: string, to: string): FlatOp[] {
  const reached = new Set([from]);
  const forward: FlatOp[] = [];
  for (const op of ops) {
    if (!Object.values(op.inputs).some((key) => reached.has(key))) continue;
    forward.push(op);
    for (const key of Object.values(op.outputs)) reached.add(key);
  }
  if (!reached.has(to)) return [];
  const needed = new Set([to]);
  const between: FlatOp[] = [];
  for (const op of [...forward].reverse()) {
    if (!Object.values(op.outputs).some((key) => needed.has(key))) continue;
    between.push(op);
    for (const key of Object.values(op.inputs)) needed.add(key);
  }
  return between.reverse();
}

/** The value keys of an op's input gradient. */
export function gradientEnds(op: FlatOp, spec: InputGradient): { of: string; wrt: string } | undefined {
  const of = Object.hasOwn(op.inputs, spec.of) ? op.inputs[spec.of] : undefined;
  const wrt = Object.hasOwn(op.inputs, spec.wrt) ? op.inputs[spec.wrt] : undefined;
  return of !== undefined && wrt !== undefined ? { of, wrt } : undefined;
}

/**
 * The gradients `op` asks for, computed from `values` (everything before it
 * has run): each re-runs the ops of `ops` between its two inputs through
 * `run`. A gradient whose inputs are not connected is left out.
 */
export function inputGradients(
  op: FlatOp,
  ops: readonly FlatOp[],
  values: ReadonlyMap<string, tf.Tensor>,
  run: (ops: readonly FlatOp[], values: Map<string, tf.Tensor>) => Map<string, tf.Tensor>,
): Record<string, tf.Tensor> {
  const out = nameRecord<tf.Tensor>();
  for (const spec of op.def.inputGradients?.(op.params) ?? []) {
    const ends = gradientEnds(op, spec);
    if (!ends) continue;
    const before = ops.slice(0, Math.max(0, ops.indexOf(op)));
    const between = opsBetween(before, ends.wrt, ends.of);
    if (between.length === 0) throw new Error(`op ${op.id}: input "${spec.of}" does not depend on input "${spec.wrt}"`);
    const computed = new Set(between.flatMap((o) => Object.values(o.outputs)));
    const at = values.get(ends.wrt);
    if (!at) throw new Error(`op ${op.id}: input "${spec.wrt}" has no value`);
    out[spec.name] = withInputSavingGradients(() =>
      tf.grad((x: tf.Tensor) => {
        const rerun = new Map([...values].filter(([key]) => !computed.has(key)));
        rerun.set(ends.wrt, x);
        return tf.sum(run(between, rerun).get(ends.of)!);
      })(at),
    );
  }
  return out;
}

/** Kinds whose gradient TF.js 4.22 cannot differentiate again (on every backend), and what to use instead. */
const NOT_TWICE_DIFFERENTIABLE: Readonly<Record<string, string>> = {
  MaxPool2D: 'TF.js 4.22 has no gradient for the gradient of max pooling (MaxPoolGrad); use a strided Conv2D to downsample',
  AvgPool2D: 'TF.js 4.22 has no gradient for the gradient of average pooling (AvgPoolGrad); use a strided Conv2D to downsample',
};

const placeOf = (op: FlatOp) => (op.origin.module ? { node: op.origin.node, module: op.origin.module } : { node: op.origin.node });

/**
 * Problems with the input gradients of a graph's training ops, found before
 * training: a gradient whose value does not depend on its input (GC130),
 * an op between them that TF.js cannot differentiate twice (GC130, naming
 * it), and one that mixes the batch's examples (GC131, a warning).
 */
export function inputGradientDiagnostics(analysis: Analysis): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ops = analysis.ops.filter((op) => op.phase === 'train');
  ops.forEach((op, i) => {
    for (const spec of op.def.inputGradients?.(op.params) ?? []) {
      const ends = gradientEnds(op, spec);
      if (!ends) continue;
      const between = opsBetween(ops.slice(0, i), ends.wrt, ends.of);
      if (between.length === 0) {
        out.push(diagnostic('GC130', { reason: `"${spec.of}" does not depend on "${spec.wrt}": place the critic on the points wired to "${spec.wrt}" and wire its outputs to "${spec.of}"` }, placeOf(op)));
        continue;
      }
      const seen = new Set<string>();
      for (const o of between) {
        const name = `${o.origin.module ? `${o.origin.module}:` : ''}${o.origin.node}`;
        if (seen.has(`${o.kind} ${name}`)) continue;
        seen.add(`${o.kind} ${name}`);
        const refusal = NOT_TWICE_DIFFERENTIABLE[o.kind];
        if (refusal) out.push(diagnostic('GC130', { reason: `"${o.id}" (${o.kind}) lies between "${spec.wrt}" and "${spec.of}", and ${refusal}` }, placeOf(op)));
        if (BATCH_COUPLING_KINDS.has(o.kind)) out.push(diagnostic('GC131', { kind: o.kind, at: o.id }, placeOf(op)));
      }
    }
  });
  return out;
}
