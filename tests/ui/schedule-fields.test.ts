/** The inspector's learning-rate schedule fields: what an edit leaves in the document. */
import { describe, expect, it } from 'vitest';
import { zOptimizer } from '../../src/core/graph/schema.ts';
import { scheduleAfter } from '../../src/ui/inspector/DocumentPanel.tsx';

describe('the schedule an edit leaves', () => {
  it('a warm-up alone; back to 0, no schedule at all (the document stays as it was)', () => {
    const warm = scheduleAfter(undefined, { warmupSteps: 100 }, 5000);
    expect(warm).toEqual({ warmupSteps: 100, decay: 'none', decaySteps: 0, minLearningRate: 0 });
    expect(scheduleAfter(warm, { warmupSteps: 0 }, 5000)).toBeUndefined();
  });

  it('a cosine chosen without a length lasts the rest of the run, and is a valid setting', () => {
    const cosine = scheduleAfter({ warmupSteps: 100, decay: 'none', decaySteps: 0, minLearningRate: 0 }, { decay: 'cosine' }, 5000);
    expect(cosine).toEqual({ warmupSteps: 100, decay: 'cosine', decaySteps: 4900, minLearningRate: 0 });
    expect(zOptimizer.safeParse({ learningRate: 0.001, schedule: cosine }).success).toBe(true);
    // A length already set is kept.
    expect(scheduleAfter({ ...cosine!, decaySteps: 300 }, { minLearningRate: 1e-5 }, 5000)).toEqual({ warmupSteps: 100, decay: 'cosine', decaySteps: 300, minLearningRate: 1e-5 });
    expect(scheduleAfter(cosine, { decay: 'none', warmupSteps: 0 }, 5000)).toBeUndefined();
  });
});
