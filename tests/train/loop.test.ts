import { describe, expect, it } from 'vitest';
import { runTraining, type TrainingEvent } from '../../src/core/train/loop.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { regression, regressionBatches } from './fixtures.ts';

describe('training loop', () => {
  it('reads losses every logEvery steps and finishes', async () => {
    const session = new TrainingSession(regression(), regressionBatches);
    const events: TrainingEvent[] = [];
    const state = await runTraining(session, { totalSteps: 45, logEvery: 10, evalEvery: 20, onEvent: (e) => void events.push(e) });
    expect(state).toMatchObject({ status: 'done', step: 45 });
    expect(events.filter((e) => e.type === 'losses').map((e) => (e.type === 'losses' ? e.report.step : 0))).toEqual([10, 20, 30, 40, 45]);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e.type === 'checkpoint' ? e.step : 0))).toEqual([20, 40, 45]);
    expect(events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state.status : ''))).toEqual(['running', 'done']);
    const losses = events.flatMap((e) => (e.type === 'losses' ? [e.report.objectives.main!.total] : []));
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    session.dispose();
  });

  it('stops on a non-finite loss with a diagnostic naming the objective', async () => {
    const session = new TrainingSession(regression({ type: 'sgd', learningRate: 10 }), regressionBatches);
    const state = await runTraining(session, { totalSteps: 1000, logEvery: 20, onEvent: () => {} });
    expect(state.status).toBe('failed');
    if (state.status === 'failed') {
      expect(state.diagnostic.code).toBe('GC206');
      expect(state.diagnostic.message).toContain('"main"');
      expect(state.step).toBeLessThan(1000);
    }
    session.dispose();
  });

  it('pauses, resumes and stops when told', async () => {
    const session = new TrainingSession(regression(), regressionBatches);
    const statuses: string[] = [];
    let calls = 0;
    const state = await runTraining(session, {
      totalSteps: 500,
      logEvery: 5,
      onEvent: (e) => void (e.type === 'state' && statuses.push(e.state.status)),
      control: () => {
        calls += 1;
        if (calls >= 10 && calls < 13) return 'pause';
        return calls >= 20 ? 'stop' : 'run';
      },
    });
    expect(statuses).toEqual(['running', 'paused', 'running', 'stopped']);
    expect(state).toMatchObject({ status: 'stopped' });
    expect(session.step).toBe(16);
    session.dispose();
  });
});
