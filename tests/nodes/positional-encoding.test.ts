import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('PositionalEncoding', () => {
  it('keeps the shape of x', () => {
    expect(inferNode('PositionalEncoding', { maxLength: 16 }, { x: { shape: [16, 8] } }).outputs.y?.shape).toEqual(['B', 16, 8]);
    expect(inferNode('PositionalEncoding', { mode: 'sinusoidal' }, { x: { shape: [5, 3] } }).outputs.y?.shape).toEqual(['B', 5, 3]);
  });

  it('rejects sequences longer than maxLength, wrong ranks and bad params', () => {
    expect(inferNode('PositionalEncoding', { maxLength: 4 }, { x: { shape: [5, 2] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('PositionalEncoding', {}, { x: { shape: [8] } }).codes).toEqual(['GC106@n.x']);
    expect(inferNode('PositionalEncoding', { maxLength: 0 }, { x: { shape: [2, 2] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('PositionalEncoding', { mode: 'rotary' }, { x: { shape: [2, 2] } }).codes).toEqual(['GC107@n']);
  });

  it('adds the first T rows of the learned table', async () => {
    // Table [3, 2] = [[1, 2], [3, 4], [5, 6]]; T = 2 uses the first two rows: [10+1, 20+2, 30+3, 40+4].
    const run = await runNode('PositionalEncoding', { maxLength: 3 }, { x: { shape: [1, 2, 2], values: [10, 20, 30, 40] } }, { positions: [1, 2, 3, 4, 5, 6] });
    expectClose(run.outputs.y!.values, [11, 22, 33, 44]);
  });

  it('adds sinusoids', async () => {
    // D = 4: features 0, 1 use frequency 1/10000^0 = 1; features 2, 3 use 1/10000^(2/4) = 0.01.
    // pos 0: [sin 0, cos 0, sin 0, cos 0]; pos 1: [sin 1, cos 1, sin 0.01, cos 0.01].
    const run = await runNode('PositionalEncoding', { mode: 'sinusoidal', maxLength: 8 }, { x: { shape: [1, 2, 4], values: [0, 0, 0, 0, 1, 1, 1, 1] } });
    expectClose(run.outputs.y!.values, [0, 1, 0, 1, 1 + Math.sin(1), 1 + Math.cos(1), 1 + Math.sin(0.01), 1 + Math.cos(0.01)]);
    expect(run.analysis.nodes.get('n')!.paramCount).toBe(0);
  });

  it('counts maxLength × D learned parameters', () => {
    expect(inferNode('PositionalEncoding', { maxLength: 16 }, { x: { shape: [16, 8] } }).analysis.nodes.get('n')!.paramCount).toBe(128);
  });
});
