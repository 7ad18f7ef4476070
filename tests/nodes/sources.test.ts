/** Data, Input and Noise: where tensors enter a graph. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dataNode } from '../../src/core/nodes/data.ts';
import { noiseNode } from '../../src/core/nodes/noise.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { expectClose, inferNode, runNode } from '../helpers.ts';

describe('Data', () => {
  it('has ports and shapes per dataset', () => {
    const mnist = inferNode('Data', { dataset: 'mnist' }, {}).outputs;
    expect([mnist.x?.shape, mnist.x?.type, mnist.y?.shape, mnist.y?.type]).toEqual([['B', 784], 'tensor', ['B'], 'tokens']);
    expect(inferNode('Data', { dataset: 'mnist', layout: 'image' }, {}).outputs.x?.shape).toEqual(['B', 28, 28, 1]);
    const names = inferNode('Data', { dataset: 'names', context: 12 }, {}).outputs;
    expect([names.x?.shape, names.x?.type, names.y?.shape]).toEqual([['B', 12], 'tokens', ['B', 12]]);
    expect(Object.keys(inferNode('Data', { dataset: 'reverse-strings' }, {}).outputs)).toEqual(['x', 'yIn', 'y']);
    expect(inferNode('Data', { dataset: 'two-moons' }, {}).outputs.x?.shape).toEqual(['B', 2]);
    expect(inferNode('Data', { dataset: 'imagenet' }, {}).codes).toEqual(['GC107@n']);
  });

  it('passes the batch it is fed, and says which port was not fed', () => {
    const params = dataNode.params.parse({ dataset: 'two-moons' });
    const batch = tf.tensor2d([[1, 2]]);
    const base = { params, inputs: {}, vars: {}, outputShapes: {}, batchSize: 1, training: true, random: createRandom(0) };
    expect(dataNode.forward!({ ...base, feeds: { x: batch } }).x).toBe(batch);
    expect(() => dataNode.forward!({ ...base, feeds: {} })).toThrow(/port "x"/);
  });
});

describe('Input', () => {
  it('declares its shape and type and passes its feed', async () => {
    expect(inferNode('Input', { shape: [3, 2], dtype: 'int' }, {}).outputs.x).toEqual({ shape: ['B', 3, 2], type: 'tokens' });
    const run = await runNode('Activation', { fn: 'linear' }, { x: { shape: [2, 1], values: [5, 6] } });
    expectClose(run.outputs.y!.values, [5, 6]);
  });
});

describe('Noise', () => {
  const params = (p: object) => noiseNode.params.parse(p);
  const draw = (p: object, seed: number) =>
    noiseNode.forward!({ params: params(p), inputs: {}, vars: {}, feeds: {}, outputShapes: { z: [2000, 4] }, batchSize: 2000, training: true, random: createRandom(seed) }).z!;

  it('draws seeded standard normals of the requested shape', async () => {
    expect(inferNode('Noise', { shape: [4] }, {}).outputs.z?.shape).toEqual(['B', 4]);
    const z = Array.from(await draw({ shape: [4] }, 1).data());
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(Array.from(await draw({ shape: [4] }, 1).data())).toEqual(z);
    expect(Array.from(await draw({ shape: [4] }, 2).data())).not.toEqual(z);
  });

  it('draws uniform numbers in [-1, 1)', async () => {
    const u = Array.from(await draw({ shape: [4], distribution: 'uniform' }, 1).data());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length)).toBeLessThan(0.05);
  });
});
