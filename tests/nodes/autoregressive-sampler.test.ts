import { describe, expect, it } from 'vitest';
import { sampleToken } from '../../src/core/nodes/autoregressive-sampler.ts';
import { inferNode } from '../helpers.ts';

const LOGITS = [0, Math.log(2), Math.log(3)];

describe('sampleToken', () => {
  it('inverts the CDF of softmax(logits), by hand', () => {
    // p = [1, 2, 3] / 6: CDF [1/6, 1/2, 1].
    expect([0, 0.1, 0.166, 0.17, 0.49, 0.5, 0.99].map((u) => sampleToken(LOGITS, 1, 0, u))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(sampleToken(Float32Array.from(LOGITS), 1, 0, 0.3)).toBe(1);
  });

  it('follows the probabilities over a grid of uniforms', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 600; i++) counts[sampleToken(LOGITS, 1, 0, (i + 0.5) / 600)]!++;
    expect(counts).toEqual([100, 200, 300]);
  });

  it('sharpens with a low temperature and flattens with a high one, by hand', () => {
    // T = 0.5: weights [1, 2², 3²] = [1, 4, 9] / 14, CDF [0.0714, 0.357, 1].
    expect([0.07, 0.072, 0.356, 0.358].map((u) => sampleToken(LOGITS, 0.5, 0, u))).toEqual([0, 1, 1, 2]);
    // T = 2: weights [1, √2, √3] / 4.1463, CDF [0.2412, 0.5823, 1].
    expect([0.24, 0.242, 0.582, 0.583].map((u) => sampleToken(LOGITS, 2, 0, u))).toEqual([0, 1, 1, 2]);
    // T ≤ 0 is greedy.
    expect(sampleToken(LOGITS, 0, 0, 0)).toBe(2);
  });

  it('draws only among the top k, by hand', () => {
    // topK 2 keeps tokens 1 and 2 with weights [2, 3] / 5: CDF [0.4, 1]; token 0 never comes.
    expect([0, 0.39, 0.4, 0.99].map((u) => sampleToken(LOGITS, 1, 2, u))).toEqual([1, 1, 2, 2]);
    expect([0, 0.5, 0.99].map((u) => sampleToken(LOGITS, 1, 1, u))).toEqual([2, 2, 2]);
    // topK ≥ vocabulary is no restriction; ties at the cut keep the lower id.
    expect(sampleToken(LOGITS, 1, 5, 0.1)).toBe(0);
    expect(sampleToken([1, 1, 0], 1, 1, 0.9)).toBe(0);
  });

  it('never picks a token of probability 0', () => {
    const logits = [-Infinity, 0, -Infinity, 0];
    expect([0, 0.49, 0.5, 0.999999].map((u) => sampleToken(logits, 1, 0, u))).toEqual([1, 1, 3, 3]);
    expect(sampleToken([0, -1e9], 1, 0, 0.9999999)).toBe(0);
  });
});

describe('AutoregressiveSampler', () => {
  it('outputs token sequences of the context length or maxLength', () => {
    const { outputs, codes, analysis } = inferNode('AutoregressiveSampler', {}, { logits: { shape: [16, 28] } });
    expect(codes).toEqual([]);
    expect(outputs.samples).toEqual({ shape: ['B', 16], type: 'tokens' });
    expect(analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
    expect(inferNode('AutoregressiveSampler', { maxLength: 10, topK: 5, temperature: 0.8 }, { logits: { shape: [16, 28] } }).outputs.samples?.shape).toEqual(['B', 10]);
  });

  it('rejects wrong ranks and params that do not fit the model', () => {
    expect(inferNode('AutoregressiveSampler', {}, { logits: { shape: [28] } }).codes).toEqual(['GC106@n.logits']);
    expect(inferNode('AutoregressiveSampler', { maxLength: 17 }, { logits: { shape: [16, 28] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AutoregressiveSampler', { startToken: 28 }, { logits: { shape: [16, 28] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AutoregressiveSampler', { stopToken: 30 }, { logits: { shape: [16, 28] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AutoregressiveSampler', { temperature: 0 }, { logits: { shape: [16, 28] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AutoregressiveSampler', { count: 0 }, { logits: { shape: [16, 28] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AutoregressiveSampler', { topK: -1 }, { logits: { shape: [16, 28] } }).codes).toEqual(['GC107@n']);
  });
});
