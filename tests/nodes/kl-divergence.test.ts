import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('KLDivergence', () => {
  it('outputs a scalar loss', () => {
    expect(inferNode('KLDivergence', {}, { mu: { shape: [4] }, logvar: { shape: [4] } }).outputs.loss).toEqual({ shape: [], type: 'loss' });
  });

  it('reports mismatched inputs and bad params', () => {
    expect(inferNode('KLDivergence', {}, { mu: { shape: [4] }, logvar: { shape: [3] } }).codes).toEqual(['GC106@n.logvar']);
    expect(inferNode('KLDivergence', {}, { mu: { shape: [] }, logvar: { shape: [] } }).codes).toEqual(['GC106@n.mu']);
    expect(inferNode('KLDivergence', {}, { mu: { shape: [4] } }).codes).toEqual(['GC102@n.logvar']);
    expect(inferNode('KLDivergence', { weight: -1 }, { mu: { shape: [4] }, logvar: { shape: [4] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('KLDivergence', { objective: 'a b' }, { mu: { shape: [4] }, logvar: { shape: [4] } }).codes).toEqual(['GC107@n']);
  });

  it('sums over the latent and averages over the batch, by hand', async () => {
    // Example 0: mu = [1, 0], logvar = [0, ln 2]:
    //   −0.5·(1 + 0 − 1 − 1) = 0.5 and −0.5·(1 + ln 2 − 0 − 2) = 0.5·(1 − ln 2) = 0.153426; sum 0.653426.
    // Example 1: mu = 0, logvar = 0 is the prior itself: 0. Mean over the batch: 0.326713.
    const inputs = { mu: { shape: [2, 2], values: [1, 0, 0, 0] }, logvar: { shape: [2, 2], values: [0, Math.log(2), 0, 0] } };
    const run = await runNode('KLDivergence', {}, inputs);
    expect(run.outputs.loss!.shape).toEqual([]);
    expectClose(run.outputs.loss!.values, [0.6534264097200273 / 2]);
    const weighted = await runNode('KLDivergence', { weight: 2 }, inputs);
    expectClose(weighted.outputs.loss!.values, [0.6534264097200273]);
  });
});
