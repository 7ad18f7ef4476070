import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';
import { innerOps, variablesReached } from './image-helpers.ts';

/** A 3×3 kernel for one channel in and out with only the centre weight set. */
const centre = (w: number) => [0, 0, 0, 0, w, 0, 0, 0, 0];

describe('UNetBlock', () => {
  it('expands into two 3×3 convs, the time projection and a 1×1 skip when channels change', () => {
    const { analysis, outputs } = inferNode('UNetBlock', { filters: 16 }, { x: { shape: [8, 8, 3] }, temb: { shape: [32] } });
    expect(outputs.y?.shape).toEqual(['B', 8, 8, 16]);
    // Topological order interleaves the skip; compare as a set.
    expect(innerOps(analysis).sort()).toEqual([
      'conv1: Conv2D [B, 8, 8, 16]',
      'temb_act: Activation [B, 32]',
      'temb_proj: Dense [B, 16]',
      'temb_reshape: Reshape [B, 1, 1, 16]',
      'temb_add: Add [B, 8, 8, 16]',
      'conv2: Conv2D [B, 8, 8, 16]',
      'skip: Conv2D [B, 8, 8, 16]',
      'residual: Add [B, 8, 8, 16]',
    ].sort());
    expect(analysis.ops.find((op) => op.id === 'n/conv1')!.params).toMatchObject({ kernelSize: 3, padding: 'same', activation: 'silu' });
    expect(analysis.ops.find((op) => op.id === 'n/skip')!.params).toMatchObject({ kernelSize: 1, activation: 'linear' });
  });

  it('works without a time embedding, with an identity skip when channels match', () => {
    const { analysis, outputs } = inferNode('UNetBlock', { filters: 4 }, { x: { shape: [6, 6, 4] } });
    expect(outputs.y?.shape).toEqual(['B', 6, 6, 4]);
    expect(innerOps(analysis)).toEqual(['conv1: Conv2D [B, 6, 6, 4]', 'conv2: Conv2D [B, 6, 6, 4]', 'residual: Add [B, 6, 6, 4]']);
  });

  it('reports wrong inputs and params on the block', () => {
    expect(inferNode('UNetBlock', {}, { x: { shape: [64] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('UNetBlock', {}, { x: { shape: [4, 4, 1] }, temb: { shape: [4, 4] } }).codes).toEqual(['GC106@n.temb']);
    expect(inferNode('UNetBlock', { filters: 0 }, { x: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('computes a one-pixel block by hand', async () => {
    // x = 2 (one pixel, one channel), temb = 3, filters 1, relu. On a 1×1 image only the centre tap of a 3×3 kernel sees data.
    // conv1: relu(1.5·2 + 0.5) = 3.5; time: Dense(relu(3)) = 2·3 - 1 = 5; h = 8.5.
    // conv2: relu(-1·8.5 + 10) = 1.5; plus the identity skip 2 -> 3.5.
    const run = await runNode(
      'UNetBlock',
      { filters: 1, activation: 'relu' },
      { x: { shape: [1, 1, 1, 1], values: [2] }, temb: { shape: [1, 1], values: [3] } },
      {
        'conv1/kernel': centre(1.5),
        'conv1/bias': [0.5],
        'temb_proj/kernel': [2],
        'temb_proj/bias': [-1],
        'conv2/kernel': centre(-1),
        'conv2/bias': [10],
      },
    );
    expect(run.outputs.y!.shape).toEqual([1, 1, 1, 1]);
    expectClose(run.outputs.y!.values, [3.5]);
  });

  it('adds the time embedding to every pixel and projects the skip, by hand', async () => {
    // x: 1×2 pixels with 2 channels [[1, 0], [0, 1]]; filters 1, linear activation, no temb bias.
    // conv1 weights 0 with bias 1 -> 1 everywhere; time: Dense(temb = 2) with weight 3 -> +6 on both pixels -> 7.
    // conv2 with only the centre tap (weight 1) keeps 7 per pixel.
    // skip (1×1, in = 2 -> 1) with weights [10, 20]: [1·10, 1·20] = [10, 20]. y = [17, 27].
    const run = await runNode(
      'UNetBlock',
      { filters: 1, activation: 'linear' },
      { x: { shape: [1, 1, 2, 2], values: [1, 0, 0, 1] }, temb: { shape: [1, 1], values: [2] } },
      {
        'conv1/kernel': new Array(18).fill(0),
        'conv1/bias': [1],
        'temb_proj/kernel': [3],
        'temb_proj/bias': [0],
        'conv2/kernel': centre(1),
        'conv2/bias': [0],
        'skip/kernel': [10, 20],
        'skip/bias': [0],
      },
    );
    expectClose(run.outputs.y!.values, [17, 27]);
  });

  it('passes gradients to every variable', () => {
    const x = Array.from({ length: 2 * 4 * 4 * 2 }, (_, i) => Math.sin(i));
    const reached = variablesReached('UNetBlock', { filters: 3 }, { x: { shape: [2, 4, 4, 2], values: x }, temb: { shape: [2, 5], values: [1, 2, 3, 4, 5, -1, -2, 0, 1, 2] } }, 'y');
    expect(Object.keys(reached).sort()).toEqual(
      ['conv1', 'conv2', 'skip', 'temb_proj'].flatMap((id) => [`n/${id}/bias`, `n/${id}/kernel`]),
    );
    expect(Object.entries(reached).filter(([, ok]) => !ok)).toEqual([]);
  });
});
