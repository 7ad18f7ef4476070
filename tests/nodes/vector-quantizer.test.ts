import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/core/train/gradients.ts';
import { vectorQuantizerNode } from '../../src/core/nodes/vector-quantizer.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { expectClose, inferNode, makeDocument, runNode } from '../helpers.ts';
import { gradientsOf } from './image-helpers.ts';

// Codes (0, 0), (1, 1), (−1, 2); four vectors whose nearest codes are 0, 1, 2, 1 at squared distances 0.05, 0.05, 0.29, 0.25.
const CODEBOOK = [0, 0, 1, 1, -1, 2];
const Z = [0.2, -0.1, 0.9, 1.2, -0.8, 1.5, 0.6, 0.7];
const z = { shape: [2, 2, 2], values: Z };

describe('VectorQuantizer', () => {
  it('outputs y like z, tokens without the last axis, a scalar loss and perplexity; needs [B, ..., D]', () => {
    const { outputs, codes } = inferNode('VectorQuantizer', { codes: 8 }, { z: { shape: [7, 7, 4] } });
    expect(codes).toEqual([]);
    expect(outputs.y).toEqual({ shape: ['B', 7, 7, 4], type: 'tensor' });
    expect(outputs.tokens).toEqual({ shape: ['B', 7, 7], type: 'tokens' });
    expect(outputs.loss).toEqual({ shape: [], type: 'loss' });
    expect(outputs.perplexity).toEqual({ shape: [], type: 'tensor' });
    expect(inferNode('VectorQuantizer', {}, { z: { shape: [] } }).codes).toEqual(['GC106@n.z']);
    expect(inferNode('VectorQuantizer', { codes: 0 }, { z: { shape: [3] } }).codes).toEqual(['GC107@n']);
  });

  it('picks the nearest codes, with the loss and perplexity by hand', async () => {
    const run = await runNode('VectorQuantizer', { codes: 3 }, { z }, { codebook: CODEBOOK });
    expect(run.outputs.tokens).toEqual({ shape: [2, 2], values: [0, 1, 2, 1] });
    expect(run.outputs.y!.values).toEqual([0, 0, 1, 1, -1, 2, 1, 1]);
    // Summed per example (0.10 and 0.54), averaged over the batch: 0.32, times 1 + beta.
    expectClose(run.outputs.loss!.values, [1.25 * 0.32]);
    // Codes used 1/4, 1/2, 1/4 of the time: exp(entropy) = 2^1.5.
    expectClose(run.outputs.perplexity!.values, [2 ** 1.5]);
    // Averaged over all 8 elements instead, beta 1, weight 2: 2 · 2 · 0.64 / 8.
    const mean = await runNode('VectorQuantizer', { codes: 3, reduction: 'mean', beta: 1, weight: 2 }, { z }, { codebook: CODEBOOK });
    expectClose(mean.outputs.loss!.values, [0.32]);
  });

  it('sends the gradient of y straight to z and none to the codebook', () => {
    const R = tf.tensor([1, -2, 0.5, 3, -1, 0.25, 2, -0.5], [2, 2, 2]);
    const g = gradientsOf(vectorQuantizerNode, { codes: 3 }, { z: tf.tensor(Z, [2, 2, 2]) }, { codebook: tf.tensor(CODEBOOK, [3, 2]) }, { weights: R });
    expect(g['in:z']).toEqual(Array.from(R.dataSync()));
    expect(g.codebook).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('the loss moves the codes towards their vectors (codebook term) and z towards its codes (commitment, times beta)', () => {
    const g = gradientsOf(vectorQuantizerNode, { codes: 3, beta: 0.25 }, { z: tf.tensor(Z, [2, 2, 2]) }, { codebook: tf.tensor(CODEBOOK, [3, 2]) }, { output: 'loss' });
    // d/dz of beta · mean_b Σ (z − sg e)² is beta · (z − e) at batch 2.
    const e = [0, 0, 1, 1, -1, 2, 1, 1];
    expectClose(g['in:z']!, Z.map((v, i) => 0.25 * (v - e[i]!)));
    // d/de_k of mean_b Σ (sg z − e)² is Σ over its vectors of (e_k − z).
    expectClose(g.codebook!, [-0.2, 0.1, 0.1 + 0.4, -0.2 + 0.3, -0.2, 0.5]);
  });

  it('adds its loss to the objective it names, and its codebook is one an Embedding can use (weight tying)', () => {
    const doc = makeDocument(
      [
        { id: 'x', kind: 'Input', params: { shape: [4, 3] } },
        { id: 'vq', kind: 'VectorQuantizer', params: { codes: 5, objective: 'main' } },
        { id: 'lookup', kind: 'Embedding', params: { vocabSize: 5, dim: 3, tiedTo: 'vq' } },
        { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      ],
      ['x.x->vq.z', 'vq.tokens->lookup.tokens', 'lookup.y->rec.prediction', 'x.x->rec.target'],
    );
    const compiled = compile(doc);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const objective = compiled.program.objectives[0]!;
    expect(objective.losses.map((op) => op.id).sort()).toEqual(['rec', 'vq']);
    expect(compiled.program.variables.map((v) => v.key)).toEqual(['vq/codebook']);
    expect(compiled.program.analysis.parameterCount).toBe(15);
  });
});

describe('VectorQuantizer with unit vectors (normalize)', () => {
  it('looks codes up by direction and outputs the unit code', async () => {
    // Codes (3, 0) and (0, −2) are (1, 0) and (0, −1) at unit length; (0.2, −5) points along the second, (4, 1) nearer the first.
    const run = await runNode('VectorQuantizer', { codes: 2, normalize: true }, { z: { shape: [2, 2], values: [0.2, -5, 4, 1] } }, { codebook: [3, 0, 0, -2] });
    expect(run.outputs.tokens!.values).toEqual([1, 0]);
    expectClose(run.outputs.y!.values, [0, -1, 1, 0]);
    // Per example, ‖u(z) − e‖² = 2 − 2 cos: cos = 5/√25.04 and 4/√17; the mean over the two, times 1 + beta.
    const distance = (cos: number) => 2 - 2 * cos;
    expectClose(run.outputs.loss!.values, [1.25 * ((distance(5 / Math.sqrt(25.04)) + distance(4 / Math.sqrt(17))) / 2)]);
  });
});

describe('an Embedding reading a unit-length codebook', () => {
  it('with normalize, looks rows up at unit length, as the quantizer outputs them', async () => {
    const run = await runNode('Embedding', { vocabSize: 2, dim: 2, normalize: true }, { tokens: { shape: [1, 3], values: [1, 0, 1], dtype: 'int32' } }, { table: [3, 4, 0, -2] });
    expectClose(run.outputs.y!.values, [0, -1, 0.6, 0.8, 0, -1]);
  });
});
