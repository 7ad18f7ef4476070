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

  it('lets a Stop through after the step it is in when steps are slow, however rarely it reports', async () => {
    // Each step spins 40 ms (a slow backend's step); a stop arrives as a message would, from a timer.
    const slowBatches: typeof regressionBatches = (op, step, batchSize) => {
      const until = performance.now() + 40;
      while (performance.now() < until);
      return regressionBatches(op, step, batchSize);
    };
    const session = new TrainingSession(regression(), slowBatches);
    let stop = false;
    let stepAtStop = -1;
    setTimeout(() => {
      stop = true;
      stepAtStop = session.step;
    }, 0);
    const state = await runTraining(session, { totalSteps: 200, logEvery: 100, onEvent: () => {}, control: () => (stop ? 'stop' : 'run') });
    expect(state.status).toBe('stopped');
    // The message is read after the first step at the latest, and the run stops before the next.
    expect(stepAtStop).toBeGreaterThanOrEqual(0);
    expect(stepAtStop).toBeLessThanOrEqual(1);
    expect(session.step).toBe(stepAtStop);
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
