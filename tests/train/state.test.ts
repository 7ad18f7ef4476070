import { describe, expect, it } from 'vitest';
import { diagnostic } from '../../src/core/base/diagnostics.ts';
import { initialTrainingState, trainingReducer, type TrainingAction, type TrainingState } from '../../src/core/train/state.ts';

const run = (...actions: TrainingAction[]) => actions.reduce<TrainingState>(trainingReducer, initialTrainingState);
const fail = { type: 'fail', diagnostic: diagnostic('GC206', { step: 3, objective: 'main', value: NaN }) } as const;

describe('training state', () => {
  it('goes idle → running → paused → running → done', () => {
    expect(run({ type: 'start', step: 0, totalSteps: 10 })).toEqual({ status: 'running', step: 0, totalSteps: 10, stepsPerSecond: 0 });
    expect(run({ type: 'start', step: 0, totalSteps: 10 }, { type: 'progress', step: 4, stepsPerSecond: 2 }, { type: 'pause' })).toEqual({ status: 'paused', step: 4, totalSteps: 10 });
    expect(run({ type: 'start', step: 0, totalSteps: 10 }, { type: 'pause' }, { type: 'resume' }, { type: 'finish' })).toMatchObject({ status: 'done' });
  });

  it('stops or fails from running and paused, keeping the step', () => {
    expect(run({ type: 'start', step: 2, totalSteps: 10 }, { type: 'pause' }, { type: 'stop' })).toEqual({ status: 'stopped', step: 2, totalSteps: 10 });
    expect(run({ type: 'start', step: 3, totalSteps: 10 }, fail)).toMatchObject({ status: 'failed', step: 3, diagnostic: { code: 'GC206' } });
  });

  it('ignores actions that make no sense in a state', () => {
    const idle = initialTrainingState;
    for (const action of [{ type: 'pause' }, { type: 'resume' }, { type: 'stop' }, { type: 'finish' }, { type: 'progress', step: 1, stepsPerSecond: 1 }, fail] as TrainingAction[]) {
      expect(trainingReducer(idle, action)).toBe(idle);
    }
    const done = run({ type: 'start', step: 0, totalSteps: 1 }, { type: 'finish' });
    expect(trainingReducer(done, { type: 'pause' })).toBe(done);
    const running = run({ type: 'start', step: 0, totalSteps: 1 });
    expect(trainingReducer(running, { type: 'start', step: 5, totalSteps: 9 })).toBe(running);
  });
});
