/** Activation, Add, Multiply, ScaleShift, Reshape: shapes, errors and hand-computed values. */
import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const x = { shape: [1, 4], values: [-2, -0.5, 0, 1.5] };
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('Activation', () => {
  const cases: Record<string, (v: number) => number> = {
    linear: (v) => v,
    relu: (v) => Math.max(0, v),
    leakyRelu: (v) => (v > 0 ? v : 0.2 * v),
    gelu: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    silu: (v) => v * sigmoid(v),
    tanh: Math.tanh,
    sigmoid,
    softplus: (v) => Math.log(1 + Math.exp(v)),
    exp: Math.exp,
  };
  for (const [fn, f] of Object.entries(cases)) {
    it(`${fn} matches its formula`, async () => {
      const run = await runNode('Activation', { fn }, { x });
      expectClose(run.outputs.y!.values, x.values.map(f), 1e-5);
    });
  }

  it('keeps the shape and rejects unknown functions', () => {
    expect(inferNode('Activation', { fn: 'relu' }, { x: { shape: [3, 5] } }).outputs.y?.shape).toEqual(['B', 3, 5]);
    expect(inferNode('Activation', { fn: 'swish2' }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });
});

describe('Add and Multiply', () => {
  it('broadcast like NumPy and name both shapes when they cannot', () => {
    expect(inferNode('Add', {}, { a: { shape: [4, 4, 8] }, b: { shape: [1, 1, 8] } }).outputs.y?.shape).toEqual(['B', 4, 4, 8]);
    const bad = inferNode('Multiply', {}, { a: { shape: [4] }, b: { shape: [3] } });
    expect(bad.codes).toEqual(['GC106@n.b']);
    expect(bad.analysis.diagnostics[0]!.message).toContain('[B, 4]');
  });

  it('compute elementwise by hand', async () => {
    const a = { shape: [1, 2], values: [1, 2] };
    const b = { shape: [1, 2], values: [3, -4] };
    expectClose((await runNode('Add', {}, { a, b })).outputs.y!.values, [4, -2]);
    expectClose((await runNode('Multiply', {}, { a, b })).outputs.y!.values, [3, -8]);
  });
});

describe('ScaleShift', () => {
  it('computes x·scale + shift', async () => {
    const run = await runNode('ScaleShift', { scale: 0.5, shift: 1 }, { x });
    expectClose(run.outputs.y!.values, [0, 0.75, 1, 1.75]);
  });
});

describe('Reshape', () => {
  it('keeps the batch axis and the element count', async () => {
    expect(inferNode('Reshape', { shape: [2, 2] }, { x: { shape: [4] } }).outputs.y?.shape).toEqual(['B', 2, 2]);
    expect(inferNode('Reshape', { shape: [3] }, { x: { shape: [4] } }).codes).toEqual(['GC106@n.x']);
    const run = await runNode('Reshape', { shape: [2, 2] }, { x });
    expect(run.outputs.y!.shape).toEqual([1, 2, 2]);
    expectClose(run.outputs.y!.values, x.values);
  });
});
