/**
 * The training loop: the one async place that steps a session, reads losses
 * back every `logEvery` steps, stops on a non-finite loss, and reports
 * events. It yields to the event loop between chunks so a UI or a signal
 * can pause or stop it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { diagnostic } from '../base/diagnostics.ts';
import { countGpuDispatches } from './backends/gpu-dispatches.ts';
import { nonFinite, type LossReport, type TrainingSession } from './session.ts';
import { initialTrainingState, trainingReducer, type TrainingAction, type TrainingState } from './state.ts';

export type TrainingEvent =
  | { type: 'state'; state: TrainingState }
  | { type: 'losses'; report: LossReport; stepsPerSecond: number; elapsedSeconds: number }
  /** Every `evalEvery` steps and at the end: a chance to sample, evaluate or checkpoint. */
  | { type: 'checkpoint'; step: number }
  /** A periodic save is due (`saveEvery`); sent right after losses were read and found finite. */
  | { type: 'save'; step: number }
  /** The backend kernels the step ending at `step` ran (`profileStep`), and the compute dispatches the GPU saw (null off WebGPU). */
  | { type: 'kernels'; step: number; kernels: number; dispatches: number | null };

export interface LoopOptions {
  /** Train until the session has taken this many steps. */
  totalSteps: number;
  /** Read losses back every this many steps (each read waits for the device). */
  logEvery?: number;
  evalEvery?: number;
  /**
   * Ask for a save once this many steps or seconds have passed since the
   * last (0 turns either off); it comes at the next loss read, so a save
   * never follows a loss that was not checked.
   */
  saveEvery?: { steps: number; seconds: number };
  /** Counts the kernels of the step that ends at this step (one real step, profiled). */
  profileStep?: number;
  onEvent(event: TrainingEvent): void | Promise<void>;
  /** Checked between steps: 'pause' waits, 'stop' ends the run. */
  control?: () => 'run' | 'pause' | 'stop';
  now?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const YIELD_EVERY_MS = 25;

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
  let lastYield = started;
  let intervalStart = now();
  let intervalSteps = 0;
  let lastSave = { step: session.step, at: started };
  const saveDue = () => {
    const every = options.saveEvery;
    if (!every) return false;
    return (every.steps > 0 && session.step - lastSave.step >= every.steps) || (every.seconds > 0 && now() - lastSave.at >= every.seconds * 1000);
  };

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

    if (session.step + 1 === options.profileStep) {
      let kernels = 0;
      const dispatches = await countGpuDispatches(async () => {
        kernels = (await tf.profile(() => session.trainStep())).kernels.length;
      });
      await options.onEvent({ type: 'kernels', step: session.step, kernels, dispatches: dispatches ?? null });
    } else session.trainStep();
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
      if (saveDue() && !atEnd) {
        lastSave = { step: session.step, at: now() };
        await options.onEvent({ type: 'save', step: session.step });
      }
    }
    if ((options.evalEvery && session.step % options.evalEvery === 0) || atEnd) await options.onEvent({ type: 'checkpoint', step: session.step });
    // Let timers and messages (a Stop, a Pause) through every 25 ms of steps: after each step when steps are slow,
    // so a Stop waits for one step at most, and after many when they are fast, where a yield would cost more.
    if (now() - lastYield >= YIELD_EVERY_MS) {
      await sleep(0);
      lastYield = now();
    }
  }
  await dispatch({ type: 'finish' });
  return state;
}
