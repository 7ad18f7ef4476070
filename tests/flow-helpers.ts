/** Helpers for the flow and diffusion tests: multi-node runs and running a flow chain backwards. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { createVariables, runForward, variableKey } from '../src/core/compiler/forward.ts';
import type { RandomSource } from '../src/core/nodes/types.ts';
import { analyze, type Analysis } from '../src/core/shapes/analyze.ts';
import { concrete } from '../src/core/base/shape.ts';
import { createRandom } from '../src/core/base/random.ts';
import { makeDocument, type NodeSketch } from './helpers.ts';

export interface GraphRun {
  analysis: Analysis;
  /** Batch size of the feeds, to make the analysed shapes concrete. */
  batch: number;
  /** Values of top-level node outputs, by `node.port`. */
  out(nodePort: string): { shape: number[]; values: number[] };
  variables: Map<string, tf.Variable>;
  values: Map<string, tf.Tensor>;
  dispose(): void;
}

/**
 * Runs a small document forward. `feeds` gives each Input node's tensor by node id;
 * `vars` sets variables whose key ends with the given name.
 */
export function runGraph(
  nodes: NodeSketch[],
  edges: string[],
  feeds: Record<string, { shape: number[]; values: number[] }>,
  options: { vars?: Record<string, number[]>; random?: RandomSource; seed?: number; randomVars?: boolean } = {},
): GraphRun {
  const analysis = analyze(makeDocument(nodes, edges));
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors)).toEqual([]);
  const variables = createVariables(analysis, options.seed ?? 1);
  if (options.randomVars) {
    // Zero-initialised layers would make a flow the identity; give every weight a value.
    const rng = createRandom(options.seed ?? 3).rng;
    for (const v of variables.values()) v.assign(tf.tensor(Array.from({ length: v.size }, () => 0.5 * rng.normal()), v.shape));
  }
  for (const [name, values] of Object.entries(options.vars ?? {})) {
    const matches = [...variables.keys()].filter((key) => key.endsWith(`/${name}`));
    expect(matches, `variable ${name} among ${[...variables.keys()].join(', ')}`).toHaveLength(1);
    const variable = variables.get(matches[0]!)!;
    variable.assign(tf.tensor(values, variable.shape));
  }
  const feedTensors: Record<string, Record<string, tf.Tensor>> = {};
  for (const [id, spec] of Object.entries(feeds)) feedTensors[id] = { x: tf.tensor(spec.values, spec.shape) };
  const batch = Object.values(feeds)[0]?.shape[0] ?? 2;
  const values = runForward(analysis, { variables, feeds: feedTensors, batchSize: batch, training: true, random: options.random ?? createRandom(7) });
  return {
    analysis,
    batch,
    variables,
    values,
    out(nodePort) {
      const [node, port] = nodePort.split('.') as [string, string];
      const key = analysis.nodes.get(node)!.outputKeys[port]!;
      const t = values.get(key)!;
      return { shape: t.shape, values: Array.from(t.dataSync()) };
    },
    dispose() {
      for (const t of values.values()) t.dispose();
      for (const v of variables.values()) v.dispose();
      for (const f of Object.values(feedTensors)) for (const t of Object.values(f)) t.dispose();
    },
  };
}

/**
 * Runs a flow backwards from the given values (by value key): invertible ops
 * recover their inputs once their outputs and conditioning inputs are known;
 * the networks that compute the conditioning run forwards once their inputs are.
 * Returns every value it knows at the end.
 */
export function invertChain(run: GraphRun, known: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const done = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const op of run.analysis.ops) {
      if (done.has(op.id) || op.phase !== 'train' || Object.keys(op.inputs).length === 0) continue;
      const vars: Record<string, tf.Tensor> = {};
      for (const spec of op.variables) vars[spec.name] = run.variables.get(variableKey(op, spec))!;
      const inv = op.def.invertible;
      if (inv) {
        const conditioning = Object.keys(op.inputs).filter((p) => !inv.inputs.includes(p) && p !== 'logdet');
        if (!inv.outputs.every((p) => known.has(op.outputs[p]!)) || !conditioning.every((p) => known.has(op.inputs[p]!))) continue;
        const result = inv.inverse({
          params: op.params,
          outputs: Object.fromEntries(inv.outputs.map((p) => [p, known.get(op.outputs[p]!)!])),
          inputs: Object.fromEntries(conditioning.map((p) => [p, known.get(op.inputs[p]!)!])),
          inputShapes: Object.fromEntries(Object.entries(op.inputs).map(([p, k]) => [p, concrete(run.analysis.values.get(k)!.shape, run.batch)])),
          vars,
        });
        for (const p of inv.inputs) known.set(op.inputs[p]!, result[p]!);
      } else {
        if (!Object.values(op.inputs).every((k) => known.has(k))) continue;
        const outputShapes: Record<string, number[]> = {};
        const outputs = op.def.forward!({
          params: op.params,
          inputs: Object.fromEntries(Object.entries(op.inputs).map(([p, k]) => [p, known.get(k)!])),
          vars,
          outputShapes,
          batchSize: 0,
          training: false,
          random: createRandom(1),
          feeds: {},
        });
        for (const [p, k] of Object.entries(op.outputs)) known.set(k, outputs[p]!);
      }
      done.add(op.id);
      progress = true;
    }
  }
  return known;
}

/** A sampler fed by an Input prediction and a NoiseSchedule, analysed. */
export function samplerDoc(kind: string, params: Record<string, unknown>, scheduleSteps = 10, prediction = [2]) {
  return analyze(
    makeDocument(
      [
        { id: 'x', kind: 'Input', params: { shape: prediction } },
        { id: 'sched', kind: 'NoiseSchedule', params: { steps: scheduleSteps } },
        { id: 'n', kind, params },
      ],
      ['x.x->n.prediction', 'sched.schedule->n.schedule'],
    ),
  );
}

/** log|det A| by Gaussian elimination with partial pivoting. */
export function logAbsDet(a: number[][]): number {
  const m = a.map((row) => [...row]);
  let sum = 0;
  for (let col = 0; col < m.length; col++) {
    let pivot = col;
    for (let r = col + 1; r < m.length; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    sum += Math.log(Math.abs(m[col]![col]!));
    for (let r = col + 1; r < m.length; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k < m.length; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  return sum;
}
