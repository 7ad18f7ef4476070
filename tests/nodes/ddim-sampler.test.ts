import { describe, expect, it } from 'vitest';
import { ddimStep, ddimTimesteps } from '../../src/core/nodes/ddim-sampler.ts';
import { ddpmStep } from '../../src/core/nodes/ddpm-sampler.ts';
import { scheduleTables } from '../../src/core/nodes/noise-schedule.ts';
import { codes, expectClose, inferNode } from '../helpers.ts';
import { samplerDoc } from '../flow-helpers.ts';

// alphaBar 0.9, 0.72, 0.504
const tables = scheduleTables({ steps: 3, kind: 'linear', betaStart: 0.1, betaEnd: 0.3, cosineOffset: 0.008 });

describe('ddimStep', () => {
  it('is deterministic at eta = 0, by hand', () => {
    // x_0 = (1 − sqrt(0.496)·0.5)/sqrt(0.504) = 0.912575; x_prev = sqrt(0.9)·0.912575 + sqrt(0.1)·0.5 = 1.023858.
    expectClose(Array.from(ddimStep({ xt: [1], eps: [0.5], t: 2, tPrev: 0, tables, eta: 0 })), [1.0238581185133808]);
  });

  it('lands on the predicted x_0 when tPrev < 0', () => {
    expectClose(Array.from(ddimStep({ xt: [1], eps: [0.5], t: 2, tPrev: -1, tables, eta: 0 })), [0.9125745517856311]);
    expectClose(Array.from(ddimStep({ xt: [1], eps: [0.5], t: 2, tPrev: -1, tables, eta: 1, noise: [7] })), [0.9125745517856311]);
  });

  it('adds eta-scaled noise, by hand', () => {
    // sigma = sqrt(0.1/0.496)·sqrt(1 − 0.504/0.9) = 0.297842; direction sqrt(1 − 0.9 − sigma²) = 0.106256:
    // sqrt(0.9)·0.912575 + 0.106256·0.5 + 0.297842·1 = 1.216714.
    expectClose(Array.from(ddimStep({ xt: [1], eps: [0.5], t: 2, tPrev: 0, tables, eta: 1, noise: [1] })), [1.2167138989085022]);
  });

  it('is the DDPM posterior step at eta = 1 over consecutive steps', () => {
    const ddim = ddimStep({ xt: [1, -0.3], eps: [0.5, 0.2], t: 2, tPrev: 1, tables, eta: 1, noise: [0.7, -1] });
    const ddpm = ddpmStep({ xt: [1, -0.3], eps: [0.5, 0.2], t: 2, tables, noise: [0.7, -1], variance: 'posterior' });
    expectClose(Array.from(ddim), Array.from(ddpm));
  });

  it('clips the estimate of x_0 and takes eps again from it, by hand', () => {
    // x_0 = (2 + sqrt(0.496)·0.5)/sqrt(0.504) = 3.3132 -> 1; eps = (2 − sqrt(0.504))/sqrt(0.496) = 1.831777;
    // x_prev = sqrt(0.9)·1 + sqrt(0.1)·1.831777 = 1.527942. An estimate inside [-1, 1] is left alone.
    const step = (xt: number, eps: number, clip: boolean) => ddimStep({ xt: [xt], eps: [eps], t: 2, tPrev: 0, tables, eta: 0, clip })[0]!;
    expectClose([step(2, -0.5, true)], [1.5279420193069573]);
    expectClose([step(2, -0.5, false)], [Math.sqrt(0.9) * 3.313196721856952 + Math.sqrt(0.1) * -0.5]);
    expectClose([step(0.3, 0.1, true)], [0.33840224465888835]);
  });

  it('refuses bad steps and missing noise', () => {
    expect(() => ddimStep({ xt: [1], eps: [0], t: 3, tPrev: 0, tables, eta: 0 })).toThrow(RangeError);
    expect(() => ddimStep({ xt: [1], eps: [0], t: 1, tPrev: 1, tables, eta: 0 })).toThrow(RangeError);
    expect(() => ddimStep({ xt: [1], eps: [0], t: 2, tPrev: 0, tables, eta: 0.5 })).toThrow(/noise/);
  });
});

describe('ddimTimesteps', () => {
  it('strides the schedule from its last step down', () => {
    expect(ddimTimesteps(10, 3)).toEqual([9, 5, 2]);
    expect(ddimTimesteps(3, 3)).toEqual([2, 1, 0]);
    const fifty = ddimTimesteps(1000, 50);
    expect(fifty).toHaveLength(50);
    expect([fifty[0], fifty[1], fifty[49]]).toEqual([999, 979, 19]);
    expect(() => ddimTimesteps(10, 11)).toThrow(RangeError);
    expect(() => ddimTimesteps(10, 0)).toThrow(RangeError);
  });
});

describe('DDIMSampler', () => {
  it("samples the prediction's shape in the sampling phase", () => {
    const analysis = samplerDoc('DDIMSampler', { steps: 10 }, 100);
    expect(codes(analysis)).toEqual(['GC202@']);
    expect(analysis.nodes.get('n')!.outputs.samples?.shape).toEqual(['B', 2]);
    expect(analysis.ops.find((op) => op.id === 'n')!.phase).toBe('sample');
  });

  it('takes at most the schedule steps, and checks its params', () => {
    expect(codes(samplerDoc('DDIMSampler', { steps: 11 }, 10))).toEqual(['GC107@n', 'GC202@']);
    expect(codes(samplerDoc('DDIMSampler', { eta: 2 }))).toContain('GC107@n');
    expect(inferNode('DDIMSampler', {}, { prediction: { shape: [2] } }).codes).toEqual(['GC102@n.schedule']);
  });
});
