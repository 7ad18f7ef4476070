import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('ClassificationLoss', () => {
  it('gives a scalar loss', () => {
    const { outputs, codes } = inferNode('ClassificationLoss', {}, { logits: { shape: [10] }, labels: { shape: [], dtype: 'int' } });
    expect(codes).toEqual([]);
    expect(outputs.loss).toEqual({ shape: [], type: 'loss' });
  });

  it('rejects mismatched labels, wrong ranks and bad params', () => {
    expect(inferNode('ClassificationLoss', {}, { logits: { shape: [10] }, labels: { shape: [2], dtype: 'int' } }).codes).toEqual(['GC106@n.labels']);
    expect(inferNode('ClassificationLoss', {}, { logits: { shape: [4, 10] }, labels: { shape: [4], dtype: 'int' } }).codes).toEqual(['GC106@n.logits']);
    expect(inferNode('ClassificationLoss', { objective: 'bad name' }, { logits: { shape: [10] }, labels: { shape: [], dtype: 'int' } }).codes).toEqual(['GC107@n']);
  });

  it('averages −log p(label) over the batch, by hand', async () => {
    // Example 0: logits [0, ln 3] → p = [1/4, 3/4], label 1 costs ln(4/3).
    // Example 1: logits [0, 0] → p = [1/2, 1/2], label 1 costs ln 2. Mean = ln(8/3) / 2.
    const run = await runNode('ClassificationLoss', {}, { logits: { shape: [2, 2], values: [0, Math.log(3), 0, 0] }, labels: { shape: [2], values: [1, 1], dtype: 'int32' } });
    expectClose(run.outputs.loss!.values, [Math.log(8 / 3) / 2]);
    const weighted = await runNode('ClassificationLoss', { weight: 0.5 }, { logits: { shape: [2, 2], values: [0, Math.log(3), 0, 0] }, labels: { shape: [2], values: [0, 1], dtype: 'int32' } });
    // Label 0 of example 0 costs ln 4: 0.5 · (ln 4 + ln 2) / 2.
    expectClose(weighted.outputs.loss!.values, [(0.5 * (Math.log(4) + Math.log(2))) / 2]);
  });
});
