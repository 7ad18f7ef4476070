import { describe, expect, it } from 'vitest';
import { scoreDigits, scoreModes } from '../../src/core/train/family-eval.ts';

describe('sample scores', () => {
  it('class coverage counts classes holding at least 5% of samples; confidence is the mean top probability', () => {
    // 20 samples: 19 confidently "3" (p = 0.9), one "7" (p = 0.6): 7 holds exactly 5%.
    const probs = new Float32Array(20 * 10);
    for (let i = 0; i < 19; i++) {
      probs.fill(0.1 / 9, i * 10, i * 10 + 10);
      probs[i * 10 + 3] = 0.9;
    }
    probs.fill(0.4 / 9, 190, 200);
    probs[197] = 0.6;
    const score = scoreDigits(probs);
    expect(score.classCoverage).toBe(2);
    expect(score.meanConfidence).toBeCloseTo((19 * 0.9 + 0.6) / 20, 6);
    expect(score.classShares[3]).toBe(0.95);
  });

  it('modes covered and the share of samples within 3 std of a mode', () => {
    const centres = [[0, 0], [10, 0]] as const;
    // std 1: (0.5, 0) near mode 0; (2.9, 0) near mode 0; (5, 5) near none.
    const score = scoreModes([0.5, 0, 2.9, 0, 5, 5], centres, 1);
    expect(score).toEqual({ modesCovered: 1, modes: 2, withinThreeStd: 2 / 3 });
    expect(scoreModes([10, 0.1, -0.2, 0], centres, 1).modesCovered).toBe(2);
  });
});
