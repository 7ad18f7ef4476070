import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { nextTokenCrossEntropyNode } from '../../src/core/nodes/next-token-cross-entropy.ts';
import type { ForwardContext } from '../../src/core/nodes/types.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

// Position 0: logits [0, ln 2, ln 3] → p = [1, 2, 3]/6. Position 1: [0, 0, 0] → p = 1/3 each.
const logits = { shape: [1, 2, 3], values: [0, Math.log(2), Math.log(3), 0, 0, 0] };
const targets = { shape: [1, 2], values: [2, 1], dtype: 'int32' as const };

describe('NextTokenCrossEntropy', () => {
  it('gives a scalar loss', () => {
    const { outputs, codes } = inferNode('NextTokenCrossEntropy', {}, { logits: { shape: [16, 28] }, targets: { shape: [16], dtype: 'int' } });
    expect(codes).toEqual([]);
    expect(outputs.loss).toEqual({ shape: [], type: 'loss' });
  });

  it('rejects mismatched targets, wrong ranks and bad params', () => {
    expect(inferNode('NextTokenCrossEntropy', {}, { logits: { shape: [16, 28] }, targets: { shape: [15], dtype: 'int' } }).codes).toEqual(['GC106@n.targets']);
    expect(inferNode('NextTokenCrossEntropy', {}, { logits: { shape: [16, 28] }, targets: { shape: [16, 28], dtype: 'int' } }).codes).toEqual(['GC106@n.targets']);
    expect(inferNode('NextTokenCrossEntropy', {}, { logits: { shape: [28] }, targets: { shape: [], dtype: 'int' } }).codes).toEqual(['GC106@n.logits']);
    expect(inferNode('NextTokenCrossEntropy', { ignoreIndex: -2 }, { logits: { shape: [16, 28] }, targets: { shape: [16], dtype: 'int' } }).codes).toEqual(['GC107@n']);
    expect(inferNode('NextTokenCrossEntropy', { weight: -1 }, { logits: { shape: [16, 28] }, targets: { shape: [16], dtype: 'int' } }).codes).toEqual(['GC107@n']);
  });

  it('averages −log p(target) over positions, by hand', async () => {
    // −ln(3/6) − ln(1/3) = ln 2 + ln 3 = ln 6 over 2 positions.
    const all = await runNode('NextTokenCrossEntropy', { ignoreIndex: -1 }, { logits, targets });
    expectClose(all.outputs.loss!.values, [Math.log(6) / 2]);
    // ignoreIndex 0 ignores nothing here; the weight scales the loss.
    const weighted = await runNode('NextTokenCrossEntropy', { weight: 2 }, { logits, targets });
    expectClose(weighted.outputs.loss!.values, [Math.log(6)]);
    // Ignoring token 1 leaves position 0 alone: −ln(1/2).
    const ignored = await runNode('NextTokenCrossEntropy', { ignoreIndex: 1 }, { logits, targets });
    expectClose(ignored.outputs.loss!.values, [Math.log(2)]);
    // Only padding: 0, not NaN.
    const padding = await runNode('NextTokenCrossEntropy', { ignoreIndex: 2 }, { logits: { shape: [1, 1, 3], values: [0, 0, 0] }, targets: { shape: [1, 1], values: [2], dtype: 'int32' } });
    expectClose(padding.outputs.loss!.values, [0]);
  });

  it('averages over every counted token of the batch, not per sequence', async () => {
    // Sequence 0 has 2 counted positions (targets 2, 1), sequence 1 has 1 (target 0 is padding, target 2 counts).
    // Uniform logits over 3 tokens: each counted position costs ln 3, so the mean is ln 3.
    // Sequence 1 position 1 logits [0, 0, ln 4]: p(2) = 4/6, cost ln 1.5. Mean = (2 ln 3 + ln 1.5) / 3.
    const run = await runNode(
      'NextTokenCrossEntropy',
      {},
      {
        logits: { shape: [2, 2, 3], values: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Math.log(4)] },
        targets: { shape: [2, 2], values: [2, 1, 0, 2], dtype: 'int32' },
      },
    );
    expectClose(run.outputs.loss!.values, [(2 * Math.log(3) + Math.log(1.5)) / 3]);
  });

  it('stays finite for huge logits', async () => {
    // Logits [1000, 0]: −log p(0) = log(1 + e^−1000) ≈ 0; −log p(1) = 1000.
    const run = await runNode('NextTokenCrossEntropy', { ignoreIndex: -1 }, { logits: { shape: [1, 2, 2], values: [1000, 0, 1000, 0] }, targets: { shape: [1, 2], values: [0, 1], dtype: 'int32' } });
    expectClose(run.outputs.loss!.values, [500], 1e-4);
  });

  it('has the softmax-minus-one-hot gradient', () => {
    // d loss / d logits = (p − onehot(target)) / counted positions:
    // position 0: ([1, 2, 3]/6 − [0, 0, 1]) / 2; position 1: ([1, 1, 1]/3 − [0, 1, 0]) / 2.
    const params = nextTokenCrossEntropyNode.params.parse({ ignoreIndex: -1 });
    const t = tf.tensor(targets.values, targets.shape, 'int32');
    const l = tf.tensor(logits.values, logits.shape);
    const grad = tf.grad((x: tf.Tensor) => nextTokenCrossEntropyNode.forward!({ params, inputs: { logits: x, targets: t } } as unknown as ForwardContext<typeof params>).loss!)(l);
    expectClose(Array.from(grad.dataSync()), [1 / 12, 1 / 6, -1 / 4, 1 / 6, -1 / 3, 1 / 6]);
    tf.dispose([t, l, grad]);
  });

  it('keeps no intermediate tensors', () => {
    const params = nextTokenCrossEntropyNode.params.parse({});
    const t = tf.tensor(targets.values, targets.shape, 'int32');
    const l = tf.tensor(logits.values, logits.shape);
    const before = tf.memory().numTensors;
    const { loss } = nextTokenCrossEntropyNode.forward!({ params, inputs: { logits: l, targets: t } } as unknown as ForwardContext<typeof params>);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([t, l, loss!]);
  });
});

describe('NextTokenCrossEntropy over a map of codes', () => {
  it('takes scores [B, H, W, K] and a code map [B, H, W], averaging over the positions of the map', async () => {
    expect(inferNode('NextTokenCrossEntropy', { ignoreIndex: -1 }, { logits: { shape: [2, 2, 3] }, targets: { shape: [2, 2], dtype: 'int' } }).codes).toEqual([]);
    expect(inferNode('NextTokenCrossEntropy', {}, { logits: { shape: [2, 2, 3] }, targets: { shape: [2, 3], dtype: 'int' } }).codes).toEqual(['GC106@n.targets']);
    // A 1 × 2 map: the two positions above, read as a map; code 0 counts (ignoreIndex −1).
    const run = await runNode('NextTokenCrossEntropy', { ignoreIndex: -1 }, { logits: { shape: [1, 1, 2, 3], values: logits.values }, targets: { shape: [1, 1, 2], values: [2, 0], dtype: 'int32' } });
    expectClose(run.outputs.loss!.values, [(-Math.log(3 / 6) - Math.log(1 / 3)) / 2]);
  });
});
