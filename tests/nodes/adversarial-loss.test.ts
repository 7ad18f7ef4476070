import { describe, expect, it } from 'vitest';
import { expectClose, inferNode, runNode, type TensorSpec } from '../helpers.ts';

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

  it('refuses an unknown loss', () => {
    expect(inferNode('AdversarialLoss', { loss: 'relativistic' }, { real: { shape: [1] }, fake: { shape: [1] } }).codes).toEqual(['GC107@n']);
  });

  // The variants on real = [0, 2] and fake = [0.5, −2], by hand.
  const real = { shape: [2, 1], values: [0, 2] };
  const fake = { shape: [2, 1], values: [0.5, -2] };
  const lossOf = async (params: Record<string, unknown>) => {
    const inputs: Record<string, TensorSpec> = params.side === 'generator' ? { fake } : { real, fake };
    return (await runNode('AdversarialLoss', params, inputs)).outputs.loss!.values;
  };

  it('least-squares (LSGAN): ½(D(x) − 1)² + ½D(G(z))² for D, ½(D(G(z)) − 1)² for G', async () => {
    // D: ½·((0 − 1)² + (2 − 1)²)/2 = 0.5, plus ½·(0.5² + (−2)²)/2 = 1.0625: 1.5625.
    expectClose(await lossOf({ loss: 'least-squares' }), [1.5625]);
    // G: ½·((0.5 − 1)² + (−2 − 1)²)/2 = ½·9.25/2 = 2.3125.
    expectClose(await lossOf({ loss: 'least-squares', side: 'generator' }), [2.3125]);
  });

  it('hinge: relu(1 − D(x)) + relu(1 + D(G(z))) for D, −D(G(z)) for G', async () => {
    // D: (relu(1) + relu(−1))/2 = 0.5, plus (relu(1.5) + relu(−1))/2 = 0.75: 1.25.
    expectClose(await lossOf({ loss: 'hinge' }), [1.25]);
    // G: −(0.5 − 2)/2 = 0.75.
    expectClose(await lossOf({ loss: 'hinge', side: 'generator' }), [0.75]);
  });

  it('wasserstein: D(G(z)) − D(x) for the critic, −D(G(z)) for G', async () => {
    // D: (0.5 − 2)/2 − (0 + 2)/2 = −0.75 − 1 = −1.75; G: 0.75.
    expectClose(await lossOf({ loss: 'wasserstein' }), [-1.75]);
    expectClose(await lossOf({ loss: 'wasserstein', side: 'generator' }), [0.75]);
  });

  it('non-saturating is the default, and every variant takes its weight and ignores real on the generator side', async () => {
    // softplus(−0) + softplus(−2) over 2, plus softplus(0.5) + softplus(−2) over 2.
    const nonSaturating = (softplus(0) + softplus(-2)) / 2 + (softplus(0.5) + softplus(-2)) / 2;
    expectClose(await lossOf({}), [nonSaturating]);
    expectClose(await lossOf({ loss: 'non-saturating' }), [nonSaturating]);
    expectClose(await lossOf({ loss: 'hinge', weight: 2 }), [2.5]);
    expectClose(await lossOf({ loss: 'least-squares', side: 'generator', weight: 0.5 }), [1.15625]);
    for (const loss of ['non-saturating', 'least-squares', 'hinge', 'wasserstein']) {
      const alone = await lossOf({ loss, side: 'generator' });
      const withReal = (await runNode('AdversarialLoss', { loss, side: 'generator' }, { real: { shape: [2, 1], values: [7, -7] }, fake })).outputs.loss!.values;
      expectClose(withReal, alone);
    }
  });
});
