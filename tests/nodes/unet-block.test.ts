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

  it("with norm 'group' puts GroupNorm and the activation before each conv, as in DDPM", () => {
    const { analysis, outputs } = inferNode('UNetBlock', { filters: 8, norm: 'group', groups: 2 }, { x: { shape: [8, 8, 4] }, temb: { shape: [16] } });
    expect(outputs.y?.shape).toEqual(['B', 8, 8, 8]);
    expect(innerOps(analysis).sort()).toEqual([
      'norm1: GroupNorm [B, 8, 8, 4]',
      'act1: Activation [B, 8, 8, 4]',
      'conv1: Conv2D [B, 8, 8, 8]',
      'temb_act: Activation [B, 16]',
      'temb_proj: Dense [B, 8]',
      'temb_reshape: Reshape [B, 1, 1, 8]',
      'temb_add: Add [B, 8, 8, 8]',
      'norm2: GroupNorm [B, 8, 8, 8]',
      'act2: Activation [B, 8, 8, 8]',
      'conv2: Conv2D [B, 8, 8, 8]',
      'skip: Conv2D [B, 8, 8, 8]',
      'residual: Add [B, 8, 8, 8]',
    ].sort());
    const op = (id: string) => analysis.ops.find((o) => o.id === `n/${id}`)!;
    expect(op('norm1').params).toMatchObject({ groups: 2 });
    expect(op('act2').params).toMatchObject({ fn: 'silu' });
    expect(op('conv1').params).toMatchObject({ activation: 'linear' });
    // The norm reads x, and conv1 reads the activation after it.
    expect(op('norm1').inputs.x).toBe(analysis.nodes.get('in_x')!.outputKeys.x);
    expect(op('conv1').inputs.x).toBe(op('act1').outputs.y);
    expect(op('norm2').inputs.x).toBe(op('temb_add').outputs.y);
  });

  it("keeps today's block by default: norm 'none' adds nothing", () => {
    const plain = inferNode('UNetBlock', { filters: 4 }, { x: { shape: [6, 6, 2] }, temb: { shape: [8] } });
    const none = inferNode('UNetBlock', { filters: 4, norm: 'none', groups: 3 }, { x: { shape: [6, 6, 2] }, temb: { shape: [8] } });
    expect(innerOps(none.analysis)).toEqual(innerOps(plain.analysis));
    expect(none.analysis.ops.map((o) => o.params)).toEqual(plain.analysis.ops.map((o) => o.params));
    expect(innerOps(plain.analysis).some((line) => line.includes('GroupNorm'))).toBe(false);
  });

  it('refuses groups that do not divide the channels of x or the filters', () => {
    const ofX = inferNode('UNetBlock', { filters: 8, norm: 'group', groups: 4 }, { x: { shape: [4, 4, 6] } });
    expect(ofX.codes).toEqual(['GC107@n']);
    expect(ofX.analysis.diagnostics[0]!.message).toContain('x has 6 channels');
    const ofFilters = inferNode('UNetBlock', { filters: 6, norm: 'group', groups: 4 }, { x: { shape: [4, 4, 8] } });
    expect(ofFilters.codes).toEqual(['GC107@n']);
    expect(ofFilters.analysis.diagnostics[0]!.message).toContain('(filters) has 6 channels');
    expect(inferNode('UNetBlock', { norm: 'batch' }, { x: { shape: [4, 4, 8] } }).codes).toEqual(['GC107@n']);
  });

  it('computes a two-pixel block with GroupNorm by hand', async () => {
    // x = [1, 3] (a 1×2 image, one channel), one group, relu, filters 1, identity skip; only centre taps set, so
    // neighbouring pixels do not mix. norm1: mean 2, variance 1 -> [−s, s], s = 1/√(1 + ε); relu -> [0, s].
    // conv1 (2, bias 0.5): [0.5, 2s + 0.5]. norm2: deviations ∓s, variance s² -> [−t, t], t = s/√(s² + ε); relu -> [0, t].
    // conv2 (3, bias −1): [−1, 3t − 1]; plus x: [0, 3t + 2].
    const eps = 1e-5;
    const s = 1 / Math.sqrt(1 + eps);
    const t = s / Math.sqrt(s * s + eps);
    const run = await runNode(
      'UNetBlock',
      { filters: 1, activation: 'relu', norm: 'group', groups: 1 },
      { x: { shape: [1, 1, 2, 1], values: [1, 3] } },
      { 'conv1/kernel': centre(2), 'conv1/bias': [0.5], 'conv2/kernel': centre(3), 'conv2/bias': [-1] },
    );
    expectClose(run.outputs.y!.values, [0, 3 * t + 2], 1e-4);
  });

  it('with GroupNorm, passes gradients to every variable', () => {
    const x = Array.from({ length: 2 * 4 * 4 * 2 }, (_, i) => Math.sin(i));
    const reached = variablesReached(
      'UNetBlock',
      { filters: 4, norm: 'group', groups: 2 },
      { x: { shape: [2, 4, 4, 2], values: x }, temb: { shape: [2, 3], values: [1, 2, 3, -1, -2, 0] } },
      'y',
    );
    expect(Object.keys(reached).sort()).toEqual(
      [...['conv1', 'conv2', 'skip', 'temb_proj'].flatMap((id) => [`n/${id}/bias`, `n/${id}/kernel`]), ...['norm1', 'norm2'].flatMap((id) => [`n/${id}/beta`, `n/${id}/gamma`])].sort(),
    );
    expect(Object.entries(reached).filter(([, ok]) => !ok)).toEqual([]);
  });
});
