import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { describe, expect, it } from 'vitest';
import { initNodeBackend, type NodeBackendName } from '../../src/core/train/backends/node.ts';
import { countGpuDispatches } from '../../src/core/train/backends/gpu-dispatches.ts';
import { lstmFused, lstmUnfused } from '../../src/core/nodes/lstm.ts';
import { Rng } from '../../src/core/base/random.ts';
import { expectSameAsUnfused, randomTensor } from './fused-check.ts';

type Lstm = typeof lstmFused;

/** Every output of the layer as one vector (y, then h, then c), so that every one of them is differentiated. */
function allOutputs(lstm: Lstm, returnSequences: boolean, withState: boolean) {
  return (x?: tf.Tensor, kernel?: tf.Tensor, recurrentKernel?: tf.Tensor, bias?: tf.Tensor, recurrentBias?: tf.Tensor, h0?: tf.Tensor, c0?: tf.Tensor) => {
    const units = recurrentKernel!.shape[0]!;
    const { y, h, c } = lstm(x!, { kernel: kernel!, recurrentKernel: recurrentKernel!, bias: bias!, recurrentBias: recurrentBias! }, { units, returnSequences }, withState ? h0 : undefined, withState ? c0 : undefined);
    return tf.concat([tf.reshape(y, [-1]), tf.reshape(h, [-1]), tf.reshape(c, [-1])]);
  };
}

const CASES = [
  { name: '5 positions, 3 units, initial state given', batch: 2, steps: 5, features: 4, units: 3, returnSequences: true, withState: true },
  { name: 'the last position only, zero initial state', batch: 3, steps: 4, features: 2, units: 5, returnSequences: false, withState: false },
  { name: 'more units than a workgroup (70)', batch: 2, steps: 3, features: 6, units: 70, returnSequences: true, withState: true },
];

describe.each(['cpu', 'wasm', 'webgpu'] as NodeBackendName[])('fused LSTM on %s', (backend) => {
  it('gives the unrolled loop’s y, h and c and the gradients of x, the weights and the initial state', { timeout: 120_000 }, async () => {
    await initNodeBackend(backend);
    for (const [n, c] of CASES.entries()) {
      const rng = new Rng(400 + n);
      const gates = 4 * c.units;
      const inputs = [
        randomTensor(rng, [c.batch, c.steps, c.features], 1.5),
        randomTensor(rng, [c.features, gates], 0.8),
        randomTensor(rng, [c.units, gates], 0.8),
        randomTensor(rng, [gates], 0.5),
        randomTensor(rng, [gates], 0.5),
        // h0 and c0 only where the layer reads them (a gradient is asked of every input).
        ...(c.withState ? [randomTensor(rng, [c.batch, c.units]), randomTensor(rng, [c.batch, c.units])] : []),
      ];
      await expectSameAsUnfused(c.name, allOutputs(lstmFused, c.returnSequences, c.withState), allOutputs(lstmUnfused, c.returnSequences, c.withState), inputs, n, 1e-4);
      tf.dispose(inputs);
    }
  });

  it.runIf(backend === 'webgpu')('takes one dispatch a position forward and two backward', async () => {
    await initNodeBackend('webgpu');
    const rng = new Rng(9);
    const [batch, steps, features, units] = [64, 16, 32, 128];
    const inputs = [randomTensor(rng, [batch, steps, features]), randomTensor(rng, [features, 4 * units], 0.1), randomTensor(rng, [units, 4 * units], 0.1), randomTensor(rng, [4 * units]), randomTensor(rng, [4 * units])];
    const count = async (lstm: Lstm) => {
      const loss = (...xs: tf.Tensor[]) => tf.sum(lstm(xs[0]!, { kernel: xs[1]!, recurrentKernel: xs[2]!, bias: xs[3]!, recurrentBias: xs[4]! }, { units, returnSequences: true }).y);
      const forward = await countGpuDispatches(async () => void (await loss(...inputs).data()));
      const both = await countGpuDispatches(async () => {
        const grads = tf.grads(loss)(inputs);
        await Promise.all(grads.map((g) => g.data()));
        tf.dispose(grads);
      });
      return { forward: forward!, both: both! };
    };
    const fused = await count(lstmFused);
    const unfused = await count(lstmUnfused);
    console.log(`[lstm] GPU dispatches, 16 positions: forward ${fused.forward} vs ${unfused.forward}, forward and backward ${fused.both} vs ${unfused.both}`);
    expect(fused.forward).toBeLessThanOrEqual(steps + 12);
    expect(fused.both - fused.forward).toBeLessThanOrEqual(2 * steps + 20);
    expect(unfused.both).toBeGreaterThan(5 * fused.both);
    tf.dispose(inputs);
  });
});
