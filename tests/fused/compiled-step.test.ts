/**
 * A compiled graph with fused kinds gives the same loss and weight gradients
 * as the same graph run on unfused ops (ForwardOptions.fused), on each backend.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { fuseOps } from '../../src/core/compiler/fusion.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { createRandom } from '../../src/core/base/random.ts';

async function lossAndGradients(preset: string, fused: boolean) {
  const loaded = loadText(readFileSync(`graph-presets/${preset}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${preset} does not load`);
  const compiled = compile(loaded.document);
  if (!compiled.ok) throw new Error(`${preset} does not compile`);
  const program = compiled.program;
  const batches = streamBatches(await openProgramData(program, readPublicAsset));
  const objective = program.objectives[0]!;
  const batchSize = 4;
  const variables = createVariables(program.analysis, 3);
  const feeds: Record<string, Record<string, tf.Tensor>> = {};
  for (const op of objective.ops) if (op.kind === 'Data' || op.kind === 'Input') feeds[op.id] = batches(op, 0, batchSize);
  const list = objective.variables.map((key) => variables.get(key)!);
  // Fused: the training step's ops (the fusion pass), and the kinds' fused kernels; unfused: the compiled ops as they are.
  const ops = fused ? fuseOps(objective.ops, new Set(objective.losses.map((op) => op.outputs.loss!))) : objective.ops;
  const { value, grads } = tf.variableGrads(() => {
    const values = runOps(ops, program.analysis, { variables, feeds, batchSize, training: true, random: createRandom(5), fused });
    return tf.addN(objective.losses.map((op) => values.get(op.outputs.loss!)!)) as tf.Scalar;
  }, list);
  const result = { loss: (await value.data())[0]!, grads: await Promise.all(list.map(async (v) => Array.from(await grads[v.name]!.data()))) };
  tf.dispose([value, ...Object.values(grads), ...variables.values(), ...Object.values(feeds).flatMap((f) => Object.values(f))]);
  return result;
}

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('the Transformer preset on %s', (backend) => {
  it('has the same loss and weight gradients fused (attention, LayerNorm, Dense) as unfused', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    const fused = await lossAndGradients('transformer', true);
    const unfused = await lossAndGradients('transformer', false);
    expect(Math.abs(fused.loss - unfused.loss)).toBeLessThan(1e-5 * Math.abs(unfused.loss));
    let worst = 0;
    fused.grads.forEach((g, i) => g.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - unfused.grads[i]![j]!) / (1e-3 + Math.abs(unfused.grads[i]![j]!))))));
    expect(worst).toBeLessThan(1e-2);
    // Not the same code: the unfused step runs many more kernels.
    const count = async (f: boolean) => (await tf.profile(() => lossAndGradients('transformer', f))).kernels.length;
    expect(await count(true)).toBeLessThan((await count(false)) - 100);
  });
});
