import { describe, expect, it } from 'vitest';
import { scheduleTables } from '../../src/core/nodes/noise-schedule.ts';
import { codes, expectClose, inferNode, makeDocument } from '../helpers.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { runGraph } from '../flow-helpers.ts';

const linear = { steps: 3, kind: 'linear' as const, betaStart: 0.1, betaEnd: 0.3, cosineOffset: 0.008 };

describe('NoiseSchedule', () => {
  it('computes linear tables by hand', () => {
    // betas 0.1, 0.2, 0.3; alphas 0.9, 0.8, 0.7; alphaBar 0.9, 0.9·0.8 = 0.72, 0.72·0.7 = 0.504
    const t = scheduleTables(linear);
    expectClose(Array.from(t.betas), [0.1, 0.2, 0.3], 1e-12);
    expectClose(Array.from(t.alphas), [0.9, 0.8, 0.7], 1e-12);
    expectClose(Array.from(t.alphaBars), [0.9, 0.72, 0.504], 1e-12);
  });

  it('computes cosine tables by hand, with the last beta clipped', () => {
    // steps 2, s = 0.008, f(u) = cos²((u + s)/(1 + s)·π/2): f(0) = 0.99984459, f(0.5) = 0.49376684, f(1) ≈ 0.
    // beta_0 = 1 − f(0.5)/f(0) = 0.50615641; beta_1 = 1 − f(1)/f(0.5) ≈ 1, clipped to 0.999.
    // alphaBar = 0.49384359, 0.49384359·0.001 = 0.00049384.
    const t = scheduleTables({ ...linear, steps: 2, kind: 'cosine' });
    expectClose(Array.from(t.betas), [0.5061564095593623, 0.999], 1e-9);
    expectClose(Array.from(t.alphaBars), [0.49384359044063775, 0.0004938435904406382], 1e-9);
  });

  it('matches the usual DDPM endpoints at 1000 steps', () => {
    const t = scheduleTables({ ...linear, steps: 1000, betaStart: 1e-4, betaEnd: 0.02 });
    expect(t.betas[0]).toBeCloseTo(1e-4, 12);
    expect(t.betas[999]).toBeCloseTo(0.02, 12);
    // Known value: alphaBar_T ≈ 4.04e-5 for the linear 1e-4..0.02 schedule.
    expect(t.alphaBars[999]).toBeGreaterThan(3.9e-5);
    expect(t.alphaBars[999]).toBeLessThan(4.2e-5);
    const cosine = scheduleTables({ ...linear, steps: 1000, kind: 'cosine' });
    for (let i = 1; i < 1000; i++) expect(cosine.alphaBars[i]!).toBeLessThan(cosine.alphaBars[i - 1]!);
  });

  it('infers [steps, 3] with no batch axis, and rejects bad params', () => {
    const doc = (params: Record<string, unknown>) => analyze(makeDocument([{ id: 'n', kind: 'NoiseSchedule', params }]));
    expect(doc({}).nodes.get('n')!.outputs.schedule).toEqual({ shape: [1000, 3], type: 'schedule' });
    expect(doc({ steps: 10 }).nodes.get('n')!.outputs.schedule!.shape).toEqual([10, 3]);
    expect(codes(doc({ steps: 1 }))).toContain('GC107@n');
    expect(codes(doc({ steps: 10001 }))).toContain('GC107@n');
    expect(codes(doc({ kind: 'quadratic' }))).toContain('GC107@n');
    expect(codes(doc({ betaEnd: 1 }))).toContain('GC107@n');
    expect(inferNode('NoiseSchedule', { betaStart: 0 }, {}).codes).toEqual(['GC107@n']);
  });

  it('outputs the table as rows of beta, alpha, alphaBar', () => {
    const run = runGraph([{ id: 'n', kind: 'NoiseSchedule', params: linear }], [], {});
    const out = run.out('n.schedule');
    expect(out.shape).toEqual([3, 3]);
    expectClose(out.values, [0.1, 0.9, 0.9, 0.2, 0.8, 0.72, 0.3, 0.7, 0.504]);
    run.dispose();
  });
});
