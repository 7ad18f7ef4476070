import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { attentionFused, attentionUnfused } from '../../src/core/nodes/attention-block.ts';
import { fuseOps } from '../../src/core/compiler/fusion.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { Rng } from '../../src/core/base/random.ts';
import { expectSameAsUnfused, randomTensor } from './fused-check.ts';

const CASES = [
  { name: 'causal self-attention, 4 heads', batch: 3, queries: 9, keys: 9, width: 16, heads: 4, causal: 1 },
  { name: 'self-attention, 1 head', batch: 2, queries: 7, keys: 7, width: 6, heads: 1, causal: 0 },
  { name: 'cross-attention to 70 keys (more than a workgroup)', batch: 2, queries: 5, keys: 70, width: 12, heads: 3, causal: 0 },
  { name: 'causal, 130 positions', batch: 1, queries: 130, keys: 130, width: 8, heads: 2, causal: 1 },
];

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused attention on %s', (backend) => {
  it('gives the unfused chain’s output and the gradients of q, k and v', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    for (const [n, c] of CASES.entries()) {
      const rng = new Rng(70 + n);
      const q = randomTensor(rng, [c.batch, c.queries, c.width], 1.5);
      const k = randomTensor(rng, [c.batch, c.keys, c.width], 1.5);
      const v = randomTensor(rng, [c.batch, c.keys, c.width]);
      const attrs = { heads: c.heads, scale: 1 / Math.sqrt(c.width / c.heads), causal: c.causal };
      await expectSameAsUnfused(c.name, (a, b, d) => attentionFused(a!, b!, d!, attrs), (a, b, d) => attentionUnfused(a!, b!, d!, attrs), [q, k, v], n, 1e-4);
      tf.dispose([q, k, v]);
    }
  });

  if (backend === 'webgpu') {
    it('runs in one dispatch forward and four backward', async () => {
      await initNodeBackend('webgpu');
      const rng = new Rng(5);
      const [q, k, v] = [0, 1, 2].map(() => randomTensor(rng, [8, 32, 64]));
      const attrs = { heads: 4, scale: 0.25, causal: 1 };
      const forward = await countGpuDispatches(async () => {
        const y = attentionFused(q!, k!, v!, attrs);
        await y.data();
        y.dispose();
      });
      expect(forward).toBe(1);
      const both = await countGpuDispatches(async () => {
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(attentionFused(a, b, d, attrs)))([q!, k!, v!]);
        await Promise.all(grads.map((g) => g.data()));
        tf.dispose(grads);
      });
      // The sum and its gradient's fill, the forward, then the probabilities, dq, dk and dv.
      expect(both).toBeLessThanOrEqual(2 + 1 + 4);
      tf.dispose([q!, k!, v!]);
    });
  }
});

describe('the fusion pass', () => {
  const program = (preset: string) => {
    const loaded = loadText(readFileSync(`graph-presets/${preset}.json`, 'utf8'));
    if (!loaded.ok) throw new Error(`${preset} does not load`);
    const compiled = compile(loaded.document);
    if (!compiled.ok) throw new Error(`${preset} does not compile`);
    return compiled.program;
  };

  it('puts one FusedAttention in place of each of the Transformer’s four attention chains', () => {
    const objective = program('transformer').objectives[0]!;
    const fused = fuseOps(objective.ops, new Set());
    const attention = fused.filter((op) => op.kind === 'FusedAttention');
    expect(attention).toHaveLength(4);
    expect(attention.every((op) => (op.params as { causal: boolean }).causal)).toBe(true);
    for (const kind of ['SplitHeads', 'MergeHeads', 'CausalMask', 'Softmax']) expect(fused.filter((op) => op.kind === kind), kind).toHaveLength(0);
    // Every fused op's inputs are computed before it.
    const computed = new Set<string>();
    for (const op of fused) {
      for (const key of Object.values(op.inputs)) expect(computed.has(key), `${op.id} reads ${key} before it is computed`).toBe(true);
      for (const key of Object.values(op.outputs)) computed.add(key);
    }
  });

  it('leaves a chain whole when a value inside it is wanted (kept, or read by another op)', () => {
    const objective = program('transformer').objectives[0]!;
    const softmaxOutputs = objective.ops.filter((op) => op.kind === 'Softmax').map((op) => op.outputs.y!);
    const fused = fuseOps(objective.ops, new Set([softmaxOutputs[0]!]));
    expect(fused.filter((op) => op.kind === 'FusedAttention')).toHaveLength(3);
    expect(fused.filter((op) => op.kind === 'Softmax')).toHaveLength(1);
  });
});
