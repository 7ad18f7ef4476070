import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { innerOps } from './image-helpers.ts';

const silu = (v: number) => v / (1 + Math.exp(-v));

describe('TimeEmbedding', () => {
  it('expands into sinusoids and two Dense layers', () => {
    const { analysis, outputs } = inferNode('TimeEmbedding', { dim: 32, hidden: 128 }, { t: { shape: [], dtype: 'int' } });
    expect(outputs.emb?.shape).toEqual(['B', 32]);
    expect(innerOps(analysis)).toEqual(['sinusoid: SinusoidalEmbedding [B, 32]', 'fc1: Dense [B, 128]', 'fc2: Dense [B, 32]']);
    expect(analysis.ops.find((op) => op.id === 'n/fc1')!.params).toMatchObject({ activation: 'silu' });
    expect(analysis.ops.find((op) => op.id === 'n/fc2')!.params).toMatchObject({ activation: 'linear' });
  });

  it('reports wrong timesteps and params', () => {
    expect(inferNode('TimeEmbedding', {}, { t: { shape: [4], dtype: 'int' } }).codes).toEqual(['GC106@n.t']);
    expect(inferNode('TimeEmbedding', { dim: 3 }, { t: { shape: [], dtype: 'int' } }).codes).toEqual(['GC107@n']);
    expect(inferNode('TimeEmbedding', { hidden: 0 }, { t: { shape: [], dtype: 'int' } }).codes).toEqual(['GC107@n']);
  });

  it('computes a tiny configuration by hand', async () => {
    // dim 2: sinusoid of t = 0 is [sin 0, cos 0] = [0, 1]; fc1 (hidden 1): [0, 1]·[1, 2] + 0.5 = 2.5, silu -> s;
    // fc2: s·[1, -1] + [0, 1] = [s, 1 - s].
    const run = await runNode(
      'TimeEmbedding',
      { dim: 2, hidden: 1 },
      { t: { shape: [1], values: [0], dtype: 'int32' } },
      { 'fc1/kernel': [1, 2], 'fc1/bias': [0.5], 'fc2/kernel': [1, -1], 'fc2/bias': [0, 1] },
    );
    const s = silu(2.5);
    expectClose(run.outputs.emb!.values, [s, 1 - s]);
  });
});
