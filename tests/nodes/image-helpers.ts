/** Helpers for the image node tests: gradient checks and the ops a block expands to. */
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import type { NodeDefinition, RandomSource } from '../../src/core/nodes/types.ts';
import { createRandom } from '../../src/core/base/random.ts';
import type { Analysis } from '../../src/core/shapes/analyze.ts';
import { formatShape } from '../../src/core/base/shape.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { makeDocument } from '../helpers.ts';

/**
 * The gradient of sum(weights · output) with respect to every input and
 * variable, by name, as plain arrays. `weights` default to ones.
 */
export function gradientsOf(
  def: NodeDefinition,
  rawParams: Record<string, unknown>,
  inputs: Record<string, tf.Tensor>,
  vars: Record<string, tf.Tensor> = {},
  options: { training?: boolean; random?: RandomSource; output?: string; weights?: tf.Tensor; outputShapes?: Record<string, number[]> } = {},
): Record<string, number[]> {
  const params = def.params.parse(rawParams);
  const names = [...Object.keys(inputs).map((k) => `in:${k}`), ...Object.keys(vars)];
  const tensors = [...Object.values(inputs), ...Object.values(vars)];
  const grads = tf.grads((...args: tf.Tensor[]) => {
    const ins: Record<string, tf.Tensor> = {};
    const vs: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => {
      if (n.startsWith('in:')) ins[n.slice(3)] = args[i]!;
      else vs[n] = args[i]!;
    });
    const y = def.forward!({
      params,
      inputs: ins,
      vars: vs,
      outputShapes: options.outputShapes ?? {},
      batchSize: tensors[0]!.shape[0] ?? 1,
      training: options.training ?? true,
      random: options.random ?? createRandom(3),
      feeds: {},
    })[options.output ?? 'y']!;
    return tf.sum(options.weights ? tf.mul(y, options.weights) : y);
  })(tensors);
  return Object.fromEntries(names.map((n, i) => [n, Array.from(grads[i]!.dataSync())]));
}

export const nonZero = (values: number[]) => values.some((v) => v !== 0 && Number.isFinite(v));

/** The primitive ops node `n` expands to, as `id: Kind [shape of first output]`. */
export function innerOps(analysis: Analysis): string[] {
  return analysis.ops
    .filter((op) => op.id.startsWith('n/'))
    .map((op) => `${op.id.slice(2)}: ${op.kind} ${formatShape(analysis.values.get(Object.values(op.outputs)[0]!)!.shape)}`);
}

/**
 * Runs node `n` of kind `kind` on the given inputs in training mode and
 * returns, per variable, whether sum(output) has a non-zero gradient for it.
 */
export function variablesReached(
  kind: string,
  params: Record<string, unknown>,
  inputs: Record<string, { shape: number[]; values: number[]; dtype?: 'float32' | 'int32' }>,
  output: string,
): Record<string, boolean> {
  const nodes: { id: string; kind: string; params: Record<string, unknown> }[] = [];
  const edges: string[] = [];
  for (const [port, spec] of Object.entries(inputs)) {
    nodes.push({ id: `in_${port}`, kind: 'Input', params: { shape: spec.shape.slice(1), dtype: spec.dtype === 'int32' ? 'int' : 'float' } });
    edges.push(`in_${port}.x->n.${port}`);
  }
  nodes.push({ id: 'n', kind, params });
  const analysis = analyze(makeDocument(nodes, edges));
  const variables = createVariables(analysis, 5);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([port, spec]) => [`in_${port}`, { x: tf.tensor(spec.values, spec.shape, spec.dtype ?? 'float32') }]));
  const batchSize = Object.values(inputs)[0]!.shape[0]!;
  const { grads } = tf.variableGrads(() => {
    const values = runForward(analysis, { variables, feeds, batchSize, training: true, random: createRandom(9) });
    return tf.sum(values.get(analysis.nodes.get('n')!.outputKeys[output]!)!) as tf.Scalar;
  }, [...variables.values()]);
  const keys = new Map([...variables.entries()].map(([key, v]) => [v.name, key]));
  const reached = Object.fromEntries(Object.entries(grads).map(([name, g]) => [keys.get(name)!, nonZero(Array.from(g.dataSync()))]));
  for (const v of variables.values()) v.dispose();
  return reached;
}
