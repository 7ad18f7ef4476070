import { describe, expect, it } from 'vitest';
import { ddpmStep } from '../../src/core/nodes/ddpm-sampler.ts';
import { scheduleTables } from '../../src/core/nodes/noise-schedule.ts';
import { codes, expectClose, inferNode } from '../helpers.ts';
import { samplerDoc } from '../flow-helpers.ts';

// betas 0.1, 0.2, 0.3; alphas 0.9, 0.8, 0.7; alphaBar 0.9, 0.72, 0.504
const tables = scheduleTables({ steps: 3, kind: 'linear', betaStart: 0.1, betaEnd: 0.3, cosineOffset: 0.008 });

describe('ddpmStep', () => {
  it('follows Algorithm 2 with sigma² = beta, by hand', () => {
    // t = 2, x_t = 1, eps = 0.5, z = 1: (1 − 0.3/sqrt(0.496)·0.5)/sqrt(0.7) = 0.940662; + sqrt(0.3)·1 = 1.488385.
    const out = ddpmStep({ xt: [1], eps: [0.5], t: 2, tables, noise: [1] });
    expectClose(Array.from(out), [1.4883845793512607]);
  });

  it('uses the posterior variance when asked', () => {
    // sigma² = 0.3·(1 − 0.72)/(1 − 0.504) = 0.169355, sigma = 0.411527: 0.940662 + 0.411527 = 1.352189.
    const out = ddpmStep({ xt: [1], eps: [0.5], t: 2, tables, noise: [1], variance: 'posterior' });
    expectClose(Array.from(out), [1.3521894677226456]);
  });

  it('adds no noise at t = 0', () => {
    // (1 − 0.1/sqrt(0.1)·0.5)/sqrt(0.9) = 0.887426
    expectClose(Array.from(ddpmStep({ xt: [1], eps: [0.5], t: 0, tables })), [0.8874258867227931]);
    expectClose(Array.from(ddpmStep({ xt: [1], eps: [0.5], t: 0, tables, noise: [100] })), [0.8874258867227931]);
  });

  it('clips the implied x_0 and steps from the posterior mean', () => {
    // Unclipped x_0 = (1 − sqrt(0.496)·0.5)/sqrt(0.504) = 0.912575 lies in [−1, 1]: same mean as Algorithm 2.
    expectClose(Array.from(ddpmStep({ xt: [1], eps: [0.5], t: 2, tables, noise: [0], clip: true })), [0.9406620218460947]);
    // x_t = 3, eps = 0: x_0 = 3/sqrt(0.504) = 4.23 → 1. Mean = c0·1 + ct·3 with
    // c0 = 0.3·sqrt(0.72)/0.496 = 0.513223, ct = 0.28·sqrt(0.7)/0.496 = 0.472308: 1.930147.
    expectClose(Array.from(ddpmStep({ xt: [3], eps: [0], t: 2, tables, noise: [0], clip: true })), [1.9301469022495574]);
  });

  it('refuses steps outside the schedule and missing noise', () => {
    expect(() => ddpmStep({ xt: [1], eps: [0], t: 3, tables, noise: [0] })).toThrow(RangeError);
    expect(() => ddpmStep({ xt: [1], eps: [0], t: 1, tables })).toThrow(/noise/);
  });
});

describe('DDPMSampler', () => {
  it("samples the prediction's shape in the sampling phase", () => {
    const analysis = samplerDoc('DDPMSampler', { clipDenoised: true }, 10, [8, 8, 1]);
    expect(codes(analysis)).toEqual(['GC202@']);
    expect(analysis.nodes.get('n')!.outputs.samples?.shape).toEqual(['B', 8, 8, 1]);
    expect(analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
  });

  it('reports bad inputs and params', () => {
    expect(inferNode('DDPMSampler', {}, { prediction: { shape: [2] } }).codes).toEqual(['GC102@n.schedule']);
    expect(codes(samplerDoc('DDPMSampler', {}, 10, []))).toContain('GC106@n.prediction');
    expect(codes(samplerDoc('DDPMSampler', { variance: 'learned' }))).toContain('GC107@n');
  });
});
