/**
 * The training loop: the one async place that steps a session, reads losses
 * back every `logEvery` steps, stops on a non-finite loss, and reports
 * events. It yields to the event loop between chunks so a UI or a signal
 * can pause or stop it.
 */
import { diagnostic } from '../shapes/diagnostics.ts';
import { nonFinite, type LossReport, type TrainingSession } from './session.ts';
import { initialTrainingState, trainingReducer, type TrainingAction, type TrainingState } from './state.ts';

export type TrainingEvent =
  | { type: 'state'; state: TrainingState }
  | { type: 'losses'; report: LossReport; stepsPerSecond: number; elapsedSeconds: number }
  /** Every `evalEvery` steps and at the end: a chance to sample, evaluate or checkpoint. */
  | { type: 'checkpoint'; step: number };

export interface LoopOptions {
  /** Train until the session has taken this many steps. */
  totalSteps: number;
  /** Read losses back every this many steps (each read waits for the device). */
  logEvery?: number;
  evalEvery?: number;
  onEvent(event: TrainingEvent): void | Promise<void>;
  /** Checked between steps: 'pause' waits, 'stop' ends the run. */
  control?: () => 'run' | 'pause' | 'stop';
  now?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runTraining(session: TrainingSession, options: LoopOptions): Promise<TrainingState> {
  const now = options.now ?? (() => performance.now());
  const logEvery = Math.max(1, options.logEvery ?? 50);
  let state = initialTrainingState;
  const dispatch = async (action: TrainingAction) => {
    const next = trainingReducer(state, action);
    if (next !== state) {
      state = next;
      if (action.type !== 'progress') await options.onEvent({ type: 'state', state });
    }
  };
  await dispatch({ type: 'start', step: session.step, totalSteps: options.totalSteps });
  const started = now();
  const firstStep = session.step;
  let intervalStart = now();
  let intervalSteps = 0;

  while (session.step < options.totalSteps) {
    const control = options.control?.() ?? 'run';
    if (control === 'stop') {
      await dispatch({ type: 'stop' });
      return state;
    }
    if (control === 'pause') {
      await dispatch({ type: 'pause' });
      await sleep(50);
      continue;
    }
    if (state.status === 'paused') await dispatch({ type: 'resume' });

    session.trainStep();
    intervalSteps += 1;
    const atEnd = session.step >= options.totalSteps;
    if (session.step % logEvery === 0 || atEnd) {
      const report = await session.readLosses();
      const elapsed = (now() - intervalStart) / 1000;
      const stepsPerSecond = elapsed > 0 ? intervalSteps / elapsed : 0;
      intervalStart = now();
      intervalSteps = 0;
      await dispatch({ type: 'progress', step: session.step, stepsPerSecond });
      await options.onEvent({ type: 'losses', report, stepsPerSecond, elapsedSeconds: (now() - started) / 1000 });
      const bad = nonFinite(report);
      if (bad) {
        await dispatch({ type: 'fail', diagnostic: diagnostic('GC206', { step: session.step, objective: bad.objective, value: bad.value }) });
        return state;
      }
    }
    if ((options.evalEvery && session.step % options.evalEvery === 0) || atEnd) await options.onEvent({ type: 'checkpoint', step: session.step });
    // Let timers and messages through now and then.
    if ((session.step - firstStep) % 10 === 0) await sleep(0);
  }
  await dispatch({ type: 'finish' });
  return state;
}
