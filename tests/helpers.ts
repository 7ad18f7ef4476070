/** Helpers shared by the tests: small documents and one-node forward runs on the cpu backend. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { createVariables, runForward } from '../src/core/compiler/forward.ts';
import type { RandomSource } from '../src/core/nodes/types.ts';
import { analyze, type Analysis } from '../src/core/shapes/analyze.ts';
import { hasErrors } from '../src/core/base/diagnostics.ts';
import { createRandom } from '../src/core/base/random.ts';
import { makeDocument, type NodeSketch } from './documents.ts';

export { makeDocument, type NodeSketch };

// PROD silences TF.js's advice to install its native Node backend.
tf.env().set('PROD', true);
await tf.setBackend('cpu');

/** Codes of the diagnostics, as `code@node[.port]`. */
export function codes(analysis: Analysis): string[] {
  return analysis.diagnostics.map((d) => `${d.code}@${d.module ? `${d.module}:` : ''}${d.node ?? ''}${d.port ? `.${d.port}` : ''}`);
}

export interface TensorSpec {
  shape: number[];
  values: number[];
  dtype?: 'float32' | 'int32';
}

export interface NodeRun {
  outputs: Record<string, { shape: number[]; values: number[] }>;
  analysis: Analysis;
}

/**
 * Runs one node on given inputs (first axis is the batch) and, optionally,
 * given variable values by name. Feeds come through Input nodes.
 */
export async function runNode(
  kind: string,
  params: Record<string, unknown>,
  inputs: Record<string, TensorSpec>,
  vars: Record<string, number[]> = {},
  options: { training?: boolean; random?: RandomSource; seed?: number } = {},
): Promise<NodeRun> {
  const nodes: NodeSketch[] = [];
  const edges: string[] = [];
  for (const [port, spec] of Object.entries(inputs)) {
    nodes.push({ id: `in_${port}`, kind: 'Input', params: { shape: spec.shape.slice(1), dtype: spec.dtype === 'int32' ? 'int' : 'float' } });
    edges.push(`in_${port}.x->n.${port}`);
  }
  nodes.push({ id: 'n', kind, params });
  const doc = makeDocument(nodes, edges);
  const analysis = analyze(doc);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors)).toEqual([]);
  expect(hasErrors(analysis.diagnostics)).toBe(false);
  const batch = Object.values(inputs)[0]?.shape[0] ?? 2;
  const variables = createVariables(analysis, options.seed ?? 1);
  for (const [name, values] of Object.entries(vars)) {
    const matches = [...variables.keys()].filter((key) => key === `n/${name}` || key.endsWith(`/${name}`));
    expect(matches, `variable ${name} among ${[...variables.keys()].join(', ')}`).toHaveLength(1);
    const variable = variables.get(matches[0]!)!;
    variable.assign(tf.tensor(values, variable.shape));
  }
  const feeds: Record<string, Record<string, tf.Tensor>> = {};
  for (const [port, spec] of Object.entries(inputs)) feeds[`in_${port}`] = { x: tf.tensor(spec.values, spec.shape, spec.dtype ?? 'float32') };
  const values = runForward(analysis, {
    variables,
    feeds,
    batchSize: batch,
    training: options.training ?? false,
    random: options.random ?? createRandom(options.seed ?? 7),
  });
  const outputs: NodeRun['outputs'] = {};
  for (const [port, key] of Object.entries(analysis.nodes.get('n')!.outputKeys)) {
    const t = values.get(key)!;
    outputs[port] = { shape: t.shape, values: Array.from(await t.data()) };
  }
  for (const t of values.values()) t.dispose();
  for (const v of variables.values()) v.dispose();
  for (const f of Object.values(feeds)) for (const t of Object.values(f)) t.dispose();
  return { outputs, analysis };
}

/** Asserts two number lists agree elementwise within `tolerance`. */
export function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-5): void {
  expect(actual.length, 'length').toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Math.abs(a - e) > tolerance * Math.max(1, Math.abs(e))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (tolerance ${tolerance})\nactual:   ${actual.join(', ')}\nexpected: ${expected.join(', ')}`);
    }
  });
}

/** The inferred shape of a node's output, or undefined. */
export function outputShape(analysis: Analysis, node: string, port: string) {
  return analysis.nodes.get(node)?.outputs[port]?.shape;
}

/** Analyses one node on inputs of given symbolic shapes (without the batch axis), returning its diagnostics and shapes. */
export function inferNode(kind: string, params: Record<string, unknown>, inputs: Record<string, { shape: number[]; dtype?: 'float' | 'int' }>) {
  const nodes: NodeSketch[] = [];
  const edges: string[] = [];
  for (const [port, spec] of Object.entries(inputs)) {
    nodes.push({ id: `in_${port}`, kind: 'Input', params: { shape: spec.shape, dtype: spec.dtype ?? 'float' } });
    edges.push(`in_${port}.x->n.${port}`);
  }
  nodes.push({ id: 'n', kind, params });
  const analysis = analyze(makeDocument(nodes, edges));
  return {
    analysis,
    codes: codes(analysis).filter((c) => !c.startsWith('GC202')),
    outputs: analysis.nodes.get('n')?.outputs ?? {},
  };
}
