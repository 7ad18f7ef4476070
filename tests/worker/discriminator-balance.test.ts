/**
 * D(real) and D(fake) on a GAN small enough to compute by hand: a
 * discriminator of one Dense unit (logit = 0.5·x₁ − x₂ + 0.25) and a
 * generator whose kernel is zero, so every fake point is its bias (1, 2).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { discriminatorLoss, discriminatorMeans } from '../../src/worker/discriminator-balance.ts';

function tinyGan(loss?: string): Program {
  const doc = JSON.parse(readFileSync('graph-presets/gan-2d.json', 'utf8'));
  if (loss) for (const node of doc.nodes) if (node.kind === 'AdversarialLoss') node.params.loss = loss;
  const disc = doc.modules[0];
  disc.nodes[1] = { id: 'critic', kind: 'Dense', params: { units: 1 }, position: { x: 240, y: 0 } };
  disc.edges = [
    { id: 'e1', source: { node: 'point', port: 'x' }, target: { node: 'critic', port: 'x' } },
    { id: 'e2', source: { node: 'critic', port: 'y' }, target: { node: 'logit', port: 'x' } },
  ];
  doc.nodes.find((n: { id: string }) => n.id === 'noise').params.shape = [2];
  doc.nodes[doc.nodes.findIndex((n: { id: string }) => n.id === 'generator')] = { id: 'generator', kind: 'Dense', params: { units: 2 }, position: { x: 240, y: 280 } };
  for (const edge of doc.edges) {
    if (edge.target.node === 'generator') edge.target.port = 'x';
    if (edge.source.node === 'generator') edge.source.port = 'y';
  }
  const loaded = loadText(JSON.stringify(doc));
  if (!loaded.ok) throw new Error(loaded.diagnostics[0]!.message);
  const compiled = compile(loaded.document);
  if (!compiled.ok) throw new Error(compiled.diagnostics[0]!.message);
  return compiled.program;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('D(real) and D(fake)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** D(real) and D(fake) of the tiny GAN with the hand-set weights below, under `loss`. */
  async function meansOf(loss?: string) {
    const program = tinyGan(loss);
    expect(discriminatorLoss(program)?.loss.origin.node).toBe('d_loss');
    const session = new TrainingSession(program, () => {
      throw new Error('no training batches in this test');
    });
    const keys = [...session.variables.keys()];
    const variable = (part: string, name: string) => session.variables.get(keys.find((k) => k.includes(part) && k.endsWith(name))!)!;
    variable('critic', 'kernel').assign(tf.tensor2d([[0.5], [-1]]));
    variable('critic', 'bias').assign(tf.tensor1d([0.25]));
    variable('generator', 'kernel').assign(tf.zeros([2, 2]));
    variable('generator', 'bias').assign(tf.tensor1d([1, 2]));
    const real = [[0, 0], [2, 1], [-1, 3]];
    const means = await discriminatorMeans(session, (_op, start, count) => ({ x: tf.tensor2d(real.slice(start, start + count)) }), 3, 7);
    session.dispose();
    return means!;
  }

  it('are the mean sigmoid of the discriminator logits on a real batch and a generated batch', async () => {
    const means = await meansOf();
    expect(means.scale).toBe('probability');
    // Real logits 0.25, 0.25 and −3.25; every fake point (1, 2) has logit 0.5 − 2 + 0.25 = −1.25.
    expect(means!.real).toBeCloseTo((2 * sigmoid(0.25) + sigmoid(-3.25)) / 3, 6);
    expect(means!.real).toBeCloseTo(0.387226, 5);
    expect(means!.fake).toBeCloseTo(sigmoid(-1.25), 6);
    expect(means!.fake).toBeCloseTo(0.222700, 5);
    expect(means.gap).toBeCloseTo(means.real - means.fake, 6);
  });

  it("are a Wasserstein or hinge critic's raw scores and their gap, a least-squares discriminator's raw outputs", async () => {
    // The same outputs as above, not squashed: real (0.25 + 0.25 − 3.25)/3 = −0.916667, fake −1.25, gap 0.333333.
    for (const loss of ['wasserstein', 'hinge']) {
      const means = await meansOf(loss);
      expect(means.scale, loss).toBe('score');
      expect(means.real).toBeCloseTo(-0.916667, 5);
      expect(means.fake).toBeCloseTo(-1.25, 6);
      expect(means.gap).toBeCloseTo(0.333333, 5);
    }
    const squares = await meansOf('least-squares');
    expect(squares.scale).toBe('target');
    expect(squares.real).toBeCloseTo(-0.916667, 5);
  });

  it('are not computed for a graph without a discriminator loss', async () => {
    const loaded = loadText(readFileSync('graph-presets/flow.json', 'utf8'));
    if (!loaded.ok) throw new Error('flow does not load');
    const compiled = compile(loaded.document);
    if (!compiled.ok) throw new Error('flow does not compile');
    expect(discriminatorLoss(compiled.program)).toBeUndefined();
  });
});
