import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode } from '../helpers.ts';

const softplus = (x: number) => Math.log1p(Math.exp(x));

describe('AdversarialLoss', () => {
  it('outputs a scalar loss on either side', () => {
    expect(inferNode('AdversarialLoss', {}, { real: { shape: [1] }, fake: { shape: [1] } }).outputs.loss?.shape).toEqual([]);
    expect(inferNode('AdversarialLoss', { side: 'generator' }, { fake: { shape: [1] } }).outputs.loss?.shape).toEqual([]);
  });

  it('needs real logits on the discriminator side, of the fake logits shape', () => {
    expect(inferNode('AdversarialLoss', {}, { fake: { shape: [1] } }).codes).toEqual(['GC102@n.real']);
    expect(inferNode('AdversarialLoss', {}, { real: { shape: [2] }, fake: { shape: [1] } }).codes).toEqual(['GC106@n.real']);
    expect(inferNode('AdversarialLoss', { side: 'critic' }, { fake: { shape: [1] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('AdversarialLoss', { side: 'generator' }, {}).codes).toEqual(['GC102@n.fake']);
  });

  it('computes the discriminator loss, by hand', async () => {
    // real = [0, 2]: softplus(−0) = 0.693147, softplus(−2) = 0.126928, mean 0.410038;
    // fake = [0, −1]: softplus(0) = 0.693147, softplus(−1) = 0.313262, mean 0.503204; total 0.913242.
    const run = await runNode('AdversarialLoss', {}, { real: { shape: [2, 1], values: [0, 2] }, fake: { shape: [2, 1], values: [0, -1] } });
    expectClose(run.outputs.loss!.values, [0.913242029840543]);
    expectClose(run.outputs.loss!.values, [(softplus(0) + softplus(-2)) / 2 + (softplus(0) + softplus(-1)) / 2]);
  });

  it('computes the non-saturating generator loss, by hand', async () => {
    // softplus(−0) = 0.693147, softplus(1) = 1.313262: mean 1.003204; weight 0.5 halves it.
    const run = await runNode('AdversarialLoss', { side: 'generator', weight: 0.5 }, { fake: { shape: [2, 1], values: [0, -1] } });
    expectClose(run.outputs.loss!.values, [1.003204434039084 / 2]);
    // A connected real input does not change the generator's loss.
    const withReal = await runNode('AdversarialLoss', { side: 'generator' }, { real: { shape: [2, 1], values: [5, 5] }, fake: { shape: [2, 1], values: [0, -1] } });
    expectClose(withReal.outputs.loss!.values, [1.003204434039084]);
  });

  it('stays finite for extreme logits', async () => {
    const run = await runNode('AdversarialLoss', {}, { real: { shape: [1, 1], values: [-100] }, fake: { shape: [1, 1], values: [100] } });
    expectClose(run.outputs.loss!.values, [200], 1e-4);
  });
});
