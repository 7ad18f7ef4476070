import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Dense', () => {
  it('maps the last axis to units', () => {
    expect(inferNode('Dense', { units: 5 }, { x: { shape: [3] } }).outputs.y?.shape).toEqual(['B', 5]);
    expect(inferNode('Dense', { units: 5 }, { x: { shape: [7, 3] } }).outputs.y?.shape).toEqual(['B', 7, 5]);
  });

  it('rejects a rank-1 input and a bad units value', () => {
    expect(inferNode('Dense', { units: 5 }, { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Dense', { units: 0 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Dense', { units: 4, extra: 1 }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('computes x·W + b with the activation, by hand', async () => {
    // x = [[1, 2]], W = [[1, -1], [0.5, 2]], b = [0.1, -5]: x·W + b = [2.1, -2]
    const run = await runNode('Dense', { units: 2, activation: 'relu' }, { x: { shape: [1, 2], values: [1, 2] } }, { kernel: [1, -1, 0.5, 2], bias: [0.1, -5] });
    expectClose(run.outputs.y!.values, [2.1, 0]);
    const linear = await runNode('Dense', { units: 2 }, { x: { shape: [1, 2], values: [1, 2] } }, { kernel: [1, -1, 0.5, 2], bias: [0.1, -5] });
    expectClose(linear.outputs.y!.values, [2.1, -2]);
  });

  it('applies to every position of a sequence', async () => {
    const run = await runNode('Dense', { units: 1, useBias: false, activation: 'tanh' }, { x: { shape: [1, 2, 2], values: [1, 0, 0, 1] } }, { kernel: [2, 3] });
    expect(run.outputs.y!.shape).toEqual([1, 2, 1]);
    expectClose(run.outputs.y!.values, [Math.tanh(2), Math.tanh(3)]);
  });

  it('counts its parameters', () => {
    expect(inferNode('Dense', { units: 5 }, { x: { shape: [3] } }).analysis.nodes.get('n')!.paramCount).toBe(20);
  });
});

// Zero-initialised Dense: the s and t heads of CouplingLayer.
describe("Dense with kernelInit 'zeros'", () => {
  const zeros = (units: number) => ({ units, kernelInit: 'zeros' });

  it('maps the last axis to units', () => {
    expect(inferNode('Dense', zeros(4), { x: { shape: [3] } }).outputs.y?.shape).toEqual(['B', 4]);
    expect(inferNode('Dense', zeros(4), { x: { shape: [2, 3] } }).outputs.y?.shape).toEqual(['B', 2, 4]);
    expect(inferNode('Dense', zeros(4), { x: { shape: [3] } }).analysis.nodes.get('n')!.paramCount).toBe(16);
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('Dense', zeros(4), { x: { shape: [] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('Dense', zeros(0), { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Dense', { units: 4, kernelInit: 'ones' }, { x: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('starts kernel and bias at zero', () => {
    const op = inferNode('Dense', zeros(2), { x: { shape: [3] } }).analysis.ops.find((o) => o.id === 'n')!;
    expect(op.variables.map((v) => [v.name, v.init.kind])).toEqual([['kernel', 'zeros'], ['bias', 'zeros']]);
  });

  it('starts at zero whatever the input', async () => {
    const run = await runNode('Dense', zeros(2), { x: { shape: [1, 3], values: [5, -1, 2] } });
    expectClose(run.outputs.y!.values, [0, 0]);
  });

  it('computes x·W + b once trained, by hand', async () => {
    // x = [1, 2], W = [[1, -1], [0.5, 2]], b = [0.1, -5]: [1 + 1 + 0.1, −1 + 4 − 5] = [2.1, −2]
    const run = await runNode('Dense', zeros(2), { x: { shape: [1, 1, 2], values: [1, 2] } }, { kernel: [1, -1, 0.5, 2], bias: [0.1, -5] });
    expect(run.outputs.y!.shape).toEqual([1, 1, 2]);
    expectClose(run.outputs.y!.values, [2.1, -2]);
  });
});
