import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('FlowNLL', () => {
  it('outputs a scalar loss', () => {
    expect(inferNode('FlowNLL', {}, { z: { shape: [2] }, logdet: { shape: [] } }).outputs.loss).toEqual({ shape: [], type: 'loss' });
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('FlowNLL', {}, { z: { shape: [2] }, logdet: { shape: [1] } }).codes).toEqual(['GC106@n.logdet']);
    expect(inferNode('FlowNLL', {}, { z: { shape: [] }, logdet: { shape: [] } }).codes).toEqual(['GC106@n.z']);
    expect(inferNode('FlowNLL', {}, { z: { shape: [2] } }).codes).toEqual(['GC102@n.logdet']);
    expect(inferNode('FlowNLL', { perDimension: 'yes' }, { z: { shape: [2] }, logdet: { shape: [] } }).codes).toEqual(['GC107@n']);
  });

  it('computes the change-of-variables NLL, by hand', async () => {
    // z = [1, 2], logdet = 0.5: 0.5·(1 + 4) + 0.5·2·ln 2π − 0.5 = 2.5 + 1.837877 − 0.5 = 3.837877 nats.
    // z = [0, 0], logdet = −1: 0 + 1.837877 + 1 = 2.837877. Mean 3.337877.
    const inputs = { z: { shape: [2, 2], values: [1, 2, 0, 0] }, logdet: { shape: [2], values: [0.5, -1] } };
    const run = await runNode('FlowNLL', {}, inputs);
    const ln2pi = Math.log(2 * Math.PI);
    expectClose(run.outputs.loss!.values, [(2.5 + ln2pi - 0.5 + ln2pi + 1) / 2]);
    expectClose(run.outputs.loss!.values, [3.3378770664093453]);
    // Per dimension: divided by D = 2.
    const perDim = await runNode('FlowNLL', { perDimension: true }, inputs);
    expectClose(perDim.outputs.loss!.values, [3.3378770664093453 / 2]);
  });
});
