import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { sampleToken } from '../../src/core/nodes/autoregressive-sampler.ts';
import { samplerOf } from '../../src/core/nodes/sampler-types.ts';
import { Rng } from '../../src/core/base/random.ts';
import { heldOutMetrics } from '../../src/core/train/roles.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { inferNode, makeDocument, type NodeSketch } from '../helpers.ts';

function programOf(doc: GraphDocument): Program {
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

/** image [B, H, W, 1] → one MaskedConv2D of mask A → scores; a summed BCE of the scores against the image; a PixelSampler. */
function tinyPixelCnn(options: { size?: number; filters?: number; sampler?: Record<string, unknown>; loss?: Record<string, unknown> | false } = {}): GraphDocument {
  const size = options.size ?? 3;
  const nodes: NodeSketch[] = [
    { id: 'x', kind: 'Input', params: { shape: [size, size, 1] } },
    { id: 'mc', kind: 'MaskedConv2D', params: { filters: options.filters ?? 1, kernelSize: 3, mask: 'A' } },
    { id: 'pixels', kind: 'PixelSampler', params: { count: 5, ...options.sampler } },
  ];
  const edges = ['x.x->mc.x', 'mc.y->pixels.scores', 'x.x->pixels.image'];
  if (options.loss !== false) {
    nodes.push({ id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'bce', fromLogits: true, reduction: 'sum', ...options.loss } });
    edges.push('mc.y->loss.prediction', 'x.x->loss.target');
  }
  return makeDocument(nodes, edges);
}

/** A session of `doc` with the MaskedConv2D's kernel and bias set. */
function sessionWith(doc: GraphDocument, kernel: number[], bias: number[]): TrainingSession {
  const program = programOf(doc);
  const image = program.analysis.values.get(program.analysis.nodes.get('x')!.outputKeys.x!)!.shape;
  const session = new TrainingSession(program, (_op, _step, n) => ({ x: tf.zeros([n, ...(image.slice(1) as number[])]) }), 4);
  const k = session.variables.get('mc/kernel')!;
  k.assign(tf.tensor(kernel, k.shape));
  session.variables.get('mc/bias')!.assign(tf.tensor1d(bias));
  return session;
}

async function draw(session: TrainingSession, seed: number, count?: number): Promise<{ shape: number[]; values: number[] }> {
  const result = await runSampler(session, session.program.samplers[0]!, { seed, ...(count ? { count } : {}) });
  if (result.kind !== 'tensor') throw new Error('expected a tensor');
  const out = { shape: result.tensor.shape, values: Array.from(await result.tensor.data()) };
  result.tensor.dispose();
  return out;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('PixelSampler: shapes', () => {
  it('draws images the shape of the image it replaces, or code maps', () => {
    const binary = inferNode('PixelSampler', {}, { scores: { shape: [4, 4, 1] }, image: { shape: [4, 4, 1] } });
    expect(binary.codes).toEqual([]);
    expect(binary.outputs.samples).toEqual({ shape: ['B', 4, 4, 1], type: 'tensor' });
    expect(binary.analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
    expect(inferNode('PixelSampler', {}, { scores: { shape: [4, 5, 3] }, image: { shape: [4, 5, 3] } }).codes).toEqual([]);
    expect(inferNode('PixelSampler', {}, { scores: { shape: [4, 4, 16] }, image: { shape: [4, 4, 1] } }).codes).toEqual([]);
    const codes = inferNode('PixelSampler', { replaces: 'codes' }, { scores: { shape: [7, 7, 32] }, codes: { shape: [7, 7], dtype: 'int' } });
    expect(codes.codes).toEqual([]);
    expect(codes.outputs.samples).toEqual({ shape: ['B', 7, 7], type: 'tokens' });
  });

  it('refuses scores that do not fit what it replaces, naming the port and the shape it wants', () => {
    const wrongSize = inferNode('PixelSampler', {}, { scores: { shape: [4, 5, 1] }, image: { shape: [4, 4, 1] } });
    expect(wrongSize.codes).toEqual(['GC106@n.scores']);
    expect(wrongSize.analysis.diagnostics[0]!.message).toContain('expected Bernoulli logits [B, 4, 4, 1], one per value of the image, or scores [B, 4, 4, K] over K ≥ 2 grey levels, got [B, 4, 5, 1]');
    // Three channels: one logit per channel, and no grey levels.
    const rgb = inferNode('PixelSampler', {}, { scores: { shape: [4, 4, 2] }, image: { shape: [4, 4, 3] } });
    expect(rgb.codes).toEqual(['GC106@n.scores']);
    expect(rgb.analysis.diagnostics[0]!.message).not.toContain('grey levels');
    expect(inferNode('PixelSampler', {}, { scores: { shape: [16] }, image: { shape: [4, 4, 1] } }).codes).toEqual(['GC106@n.scores']);
    expect(inferNode('PixelSampler', {}, { scores: { shape: [4, 4, 1] }, image: { shape: [16] } }).codes).toEqual(['GC106@n.image']);
    expect(inferNode('PixelSampler', { replaces: 'codes' }, { scores: { shape: [4, 4, 1] }, codes: { shape: [4, 4], dtype: 'int' } }).codes).toEqual(['GC106@n.scores']);
    expect(inferNode('PixelSampler', { replaces: 'codes' }, { scores: { shape: [16, 8] }, codes: { shape: [16], dtype: 'int' } }).codes).toEqual(['GC106@n.codes']);
    // An image where codes are wanted is the wrong port type.
    expect(inferNode('PixelSampler', { replaces: 'codes' }, { scores: { shape: [4, 4, 8] }, codes: { shape: [4, 4] } }).codes).toEqual(['GC110@n.codes']);
    expect(inferNode('PixelSampler', { temperature: 0 }, { scores: { shape: [4, 4, 1] }, image: { shape: [4, 4, 1] } }).codes).toEqual(['GC107@n']);
  });

  it('refuses scores that are not computed from the image it replaces (GC205)', () => {
    const doc = makeDocument(
      [
        { id: 'a', kind: 'Input', params: { shape: [4, 4, 1] } },
        { id: 'b', kind: 'Input', params: { shape: [4, 4, 1] } },
        { id: 'mc', kind: 'MaskedConv2D', params: { filters: 1, mask: 'A' } },
        { id: 'loss', kind: 'ReconstructionLoss', params: {} },
        { id: 'pixels', kind: 'PixelSampler', params: {} },
      ],
      ['a.x->mc.x', 'mc.y->loss.prediction', 'a.x->loss.target', 'mc.y->pixels.scores', 'b.x->pixels.image'],
    );
    const compiled = compile(doc);
    expect(compiled.ok).toBe(false);
    const problem = compiled.diagnostics.find((d) => d.code === 'GC205')!;
    expect(problem.node).toBe('pixels');
    expect(problem.message).toBe('Sampler "pixels" cannot sample: its scores do not depend on its image input: connect the image that the scores are computed from.');
  });
});

describe('PixelSampler: drawing', () => {
  it('fills the image in raster order exactly as the hand-computed model does', async () => {
    // Kernel rows (mask A keeps the first row and the left pixel of the centre row; the 9s are hidden):
    //   [0.5, -1, 2]
    //   [1.5,  9, 9]
    //   [9,    9, 9]   bias -0.3.
    // logit(r, c) = -0.3 + 0.5 x(r−1, c−1) − x(r−1, c) + 2 x(r−1, c+1) + 1.5 x(r, c−1), zeros outside,
    // and pixel (r, c) of sample b is 1 when the uniform drawn for it is below sigmoid(logit):
    // positions in raster order, the samples of the batch in turn at each.
    const kernel = [0.5, -1, 2, 1.5, 9, 9, 9, 9, 9];
    const session = sessionWith(tinyPixelCnn(), kernel, [-0.3]);
    const seed = 42;
    const out = await draw(session, seed);
    expect(out.shape).toEqual([5, 3, 3, 1]);

    const rng = new Rng(seed);
    const x = Array.from({ length: 5 }, () => new Array<number>(9).fill(0));
    const at = (b: number, r: number, c: number) => (r < 0 || c < 0 || c > 2 ? 0 : x[b]![r * 3 + c]!);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        for (let b = 0; b < 5; b++) {
          const logit = -0.3 + 0.5 * at(b, r - 1, c - 1) - at(b, r - 1, c) + 2 * at(b, r - 1, c + 1) + 1.5 * at(b, r, c - 1);
          x[b]![r * 3 + c] = rng.uniform() < sigmoid(logit) ? 1 : 0;
        }
      }
    }
    expect(out.values).toEqual(x.flat());
    // Not all zeros or all ones: the draws depend on the pixels drawn before.
    expect(new Set(out.values).size).toBe(2);
    // The same seed draws the same images; another seed others.
    expect((await draw(session, seed)).values).toEqual(out.values);
    expect((await draw(session, seed + 1)).values).not.toEqual(out.values);
    session.dispose();
  });

  it('draws binary pixels with the probability of a fixed logit, and temperature divides it', async () => {
    // Kernel zeros, bias logit(0.3): every pixel is 1 with probability 0.3, whatever came before.
    // 400 images of 4×4 = 6,400 pixels: the share of ones has a standard deviation of 0.0057; the bound is 4.4 of them.
    const logit = Math.log(0.3 / 0.7);
    const share = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const session = sessionWith(tinyPixelCnn({ size: 4 }), new Array(9).fill(0), [logit]);
    const plain = await draw(session, 1, 400);
    expect(plain.values.every((v) => v === 0 || v === 1)).toBe(true);
    expect(Math.abs(share(plain.values) - 0.3)).toBeLessThan(0.025);
    session.dispose();
    // Temperature 2: sigmoid(logit(0.3) / 2) = 0.3957.
    const warmSession = sessionWith(tinyPixelCnn({ size: 4, sampler: { temperature: 2 } }), new Array(9).fill(0), [logit]);
    const warm = await draw(warmSession, 1, 400);
    expect(Math.abs(share(warm.values) - sigmoid(logit / 2))).toBeLessThan(0.025);
    warmSession.dispose();
  });

  it('draws one of K grey levels with softmax probabilities, level k as k / (K − 1)', async () => {
    // Four scores, bias log [1, 2, 3, 4]: levels 0, 1/3, 2/3, 1 with probabilities 0.1, 0.2, 0.3, 0.4.
    // 300 images of 4×4 = 4,800 pixels: standard deviations up to 0.0071; the bound is 0.03.
    const doc = tinyPixelCnn({ size: 4, filters: 4, loss: false });
    const session = sessionWith(doc, new Array(36).fill(0), [1, 2, 3, 4].map(Math.log));
    const out = await draw(session, 3, 300);
    const shares = [0, 1 / 3, 2 / 3, 1].map((level) => out.values.filter((v) => Math.abs(v - level) < 1e-6).length / out.values.length);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    shares.forEach((s, k) => expect(Math.abs(s - (k + 1) / 10), `level ${k}`).toBeLessThan(0.03));
    session.dispose();
  });

  it('draws a map of code ids position by position, fed back through an Embedding, as the hand-computed model does', async () => {
    // codes [B, 3, 3] → Embedding (3 codes, 1 number each: e = [0.5, -1, 2]) → MaskedConv2D of mask A, 3 filters → scores [B, 3, 3, 3].
    // scores_j(r, c) = b_j + Σ over the seen neighbours n of K_n,j · e(code at n); zero padding adds nothing outside.
    const doc = makeDocument(
      [
        { id: 'codes', kind: 'Input', params: { shape: [3, 3], dtype: 'int' } },
        { id: 'embed', kind: 'Embedding', params: { vocabSize: 3, dim: 1 } },
        { id: 'mc', kind: 'MaskedConv2D', params: { filters: 3, kernelSize: 3, mask: 'A' } },
        { id: 'prior', kind: 'PixelSampler', params: { count: 4, replaces: 'codes' } },
      ],
      ['codes.x->embed.tokens', 'embed.y->mc.x', 'mc.y->prior.scores', 'codes.x->prior.codes'],
    );
    const program = programOf(doc);
    const session = new TrainingSession(program, (_op, _step, n) => ({ x: tf.zeros([n, 3, 3], 'int32') }), 4);
    const e = [0.5, -1, 2];
    const bias = [0.2, -0.4, 0.1];
    // Seen kernel entries (raster positions 0..3 of the 3×3 window) per filter; the hidden ones get 7s, which must not matter.
    const seen = [
      [1, -2, 0.5],
      [-1, 1.5, 2],
      [0.3, -0.7, 1],
      [2, 0.5, -1.5],
    ];
    const kernel = Array.from({ length: 9 }, (_, p) => (p < 4 ? seen[p]! : [7, 7, 7])).flat();
    session.variables.get('embed/table')!.assign(tf.tensor2d(e, [3, 1]));
    session.variables.get('mc/kernel')!.assign(tf.tensor(kernel, [3, 3, 1, 3]));
    session.variables.get('mc/bias')!.assign(tf.tensor1d(bias));
    const result = await runSampler(session, program.samplers[0]!, { seed: 9 });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    expect(result.tensor.shape).toEqual([4, 3, 3]);
    expect(result.tensor.dtype).toBe('int32');

    const rng = new Rng(9);
    const x = Array.from({ length: 4 }, () => new Array<number>(9).fill(0));
    const emb = (b: number, r: number, c: number) => (r < 0 || c < 0 || c > 2 ? 0 : e[x[b]![r * 3 + c]!]!);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        for (let b = 0; b < 4; b++) {
          const neighbours = [emb(b, r - 1, c - 1), emb(b, r - 1, c), emb(b, r - 1, c + 1), emb(b, r, c - 1)];
          const scores = bias.map((bj, j) => bj + neighbours.reduce((sum, v, n) => sum + seen[n]![j]! * v, 0));
          x[b]![r * 3 + c] = sampleToken(scores, 1, 0, rng.uniform());
        }
      }
    }
    const drawn = Array.from(await result.tensor.data());
    expect(drawn).toEqual(x.flat());
    expect(new Set(drawn).size).toBe(3);
    result.tensor.dispose();
    session.dispose();
  });

  it('refuses to draw code ids that the table they feed cannot hold (GC205)', () => {
    const doc = makeDocument(
      [
        { id: 'codes', kind: 'Input', params: { shape: [3, 3], dtype: 'int' } },
        { id: 'embed', kind: 'Embedding', params: { vocabSize: 3, dim: 2 } },
        { id: 'mc', kind: 'MaskedConv2D', params: { filters: 4, mask: 'A' } },
        { id: 'prior', kind: 'PixelSampler', params: { replaces: 'codes' } },
      ],
      ['codes.x->embed.tokens', 'embed.y->mc.x', 'mc.y->prior.scores', 'codes.x->prior.codes'],
    );
    const compiled = compile(doc);
    expect(compiled.ok).toBe(false);
    expect(compiled.diagnostics.find((d) => d.code === 'GC205')?.message).toBe(
      'Sampler "prior" cannot sample: it draws code ids up to 3 from the 4 scores at each position and feeds them to "embed", but its vocabSize is 3.',
    );
  });

  it('draws with the class labels chosen for its condition input', async () => {
    // scores = MaskedConv2D(image) (kernel 0, bias 0) + e(label), e = [-30, 30]: label 1 makes every pixel 1, label 0 every pixel 0.
    const doc = makeDocument(
      [
        { id: 'x', kind: 'Input', params: { shape: [3, 3, 1] } },
        { id: 'y', kind: 'Input', params: { shape: [], dtype: 'int' } },
        { id: 'mc', kind: 'MaskedConv2D', params: { filters: 1, mask: 'A' } },
        { id: 'embed', kind: 'Embedding', params: { vocabSize: 2, dim: 1 } },
        { id: 'plane', kind: 'Reshape', params: { shape: [1, 1, 1] } },
        { id: 'scores', kind: 'Add', params: {} },
        { id: 'loss', kind: 'ReconstructionLoss', params: {} },
        { id: 'pixels', kind: 'PixelSampler', params: { count: 4, condition: 'values', conditionValues: [1, 0] } },
      ],
      ['x.x->mc.x', 'y.x->embed.tokens', 'embed.y->plane.x', 'mc.y->scores.a', 'plane.y->scores.b', 'scores.y->loss.prediction', 'x.x->loss.target', 'scores.y->pixels.scores', 'x.x->pixels.image', 'y.x->pixels.condition'],
    );
    const program = programOf(doc);
    const session = new TrainingSession(program, (op, _step, n) => ({ x: op.id === 'y' ? tf.zeros([n], 'int32') : tf.zeros([n, 3, 3, 1]) }), 4);
    session.variables.get('mc/kernel')!.assign(tf.zeros([3, 3, 1, 1]));
    session.variables.get('embed/table')!.assign(tf.tensor2d([-30, 30], [2, 1]));
    const result = await runSampler(session, program.samplers[0]!, { seed: 2 });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    // Labels [1, 0] in equal runs over 4 samples: 1, 1, 0, 0.
    expect(result.labels).toEqual([1, 1, 0, 0]);
    expect(Array.from(await result.tensor.data())).toEqual([...new Array(18).fill(1), ...new Array(18).fill(0)]);
    result.tensor.dispose();
    session.dispose();
  });

  it('runs the model once per pixel', () => {
    const program = programOf(tinyPixelCnn({ size: 4 }));
    const plan = program.samplers[0]!;
    expect(plan.kind).toBe('pixel');
    expect(samplerOf(plan).passes?.(plan, { valueOf: (key) => program.analysis.values.get(key) })).toBe(16);
  });
});

describe('PixelSampler: roles', () => {
  it('makes a summed BCE of the scores against the image it replaces an exact NLL (valNll)', () => {
    expect(heldOutMetrics(programOf(tinyPixelCnn()))).toEqual([{ metric: 'valNll', objective: 'main' }]);
    // Averaged rather than summed per image, or from probabilities: not nats per image.
    expect(heldOutMetrics(programOf(tinyPixelCnn({ loss: { reduction: 'mean' } })))).toEqual([]);
    expect(heldOutMetrics(programOf(tinyPixelCnn({ loss: { fromLogits: false } })))).toEqual([]);
  });

  it('names no NLL when the sampler draws something other than the loss target', () => {
    // The same BCE, but the sampler replaces another image the scores also read.
    const doc = makeDocument(
      [
        { id: 'x', kind: 'Input', params: { shape: [3, 3, 1] } },
        { id: 'other', kind: 'Input', params: { shape: [3, 3, 1] } },
        { id: 'sum', kind: 'Add', params: {} },
        { id: 'mc', kind: 'MaskedConv2D', params: { filters: 1, mask: 'A' } },
        { id: 'loss', kind: 'ReconstructionLoss', params: {} },
        { id: 'pixels', kind: 'PixelSampler', params: {} },
      ],
      ['x.x->sum.a', 'other.x->sum.b', 'sum.y->mc.x', 'mc.y->loss.prediction', 'x.x->loss.target', 'mc.y->pixels.scores', 'other.x->pixels.image'],
    );
    expect(heldOutMetrics(programOf(doc))).toEqual([]);
    // Without a sampler the BCE of a masked model is still nothing the roles can vouch for.
    const bare = makeDocument(
      [
        { id: 'x', kind: 'Input', params: { shape: [3, 3, 1] } },
        { id: 'mc', kind: 'MaskedConv2D', params: { filters: 1, mask: 'A' } },
        { id: 'loss', kind: 'ReconstructionLoss', params: {} },
      ],
      ['x.x->mc.x', 'mc.y->loss.prediction', 'x.x->loss.target'],
    );
    expect(heldOutMetrics(programOf(bare))).toEqual([]);
  });
});
