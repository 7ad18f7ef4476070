/**
 * The state of a training run as one discriminated union, changed only by
 * the pure reducer below. The CLI and the UI render it; the loop in
 * loop.ts is the only place that dispatches.
 */
import type { Diagnostic } from '../base/diagnostics.ts';

export type TrainingState =
  | { status: 'idle' }
  | { status: 'running'; step: number; totalSteps: number; stepsPerSecond: number }
  | { status: 'paused'; step: number; totalSteps: number }
  | { status: 'stopped'; step: number; totalSteps: number }
  | { status: 'done'; step: number; totalSteps: number }
  | { status: 'failed'; step: number; totalSteps: number; diagnostic: Diagnostic };

export type TrainingAction =
  | { type: 'start'; step: number; totalSteps: number }
  | { type: 'progress'; step: number; stepsPerSecond: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'finish' }
  | { type: 'fail'; diagnostic: Diagnostic };

export const initialTrainingState: TrainingState = { status: 'idle' };

/** Actions that make no sense in a state leave it unchanged. */
export function trainingReducer(state: TrainingState, action: TrainingAction): TrainingState {
  switch (action.type) {
    case 'start':
      if (state.status === 'running' || state.status === 'paused') return state;
      return { status: 'running', step: action.step, totalSteps: action.totalSteps, stepsPerSecond: 0 };
    case 'progress':
      if (state.status !== 'running') return state;
      return { ...state, step: action.step, stepsPerSecond: action.stepsPerSecond };
    case 'pause':
      if (state.status !== 'running') return state;
      return { status: 'paused', step: state.step, totalSteps: state.totalSteps };
    case 'resume':
      if (state.status !== 'paused') return state;
      return { status: 'running', step: state.step, totalSteps: state.totalSteps, stepsPerSecond: 0 };
    case 'stop':
      if (state.status !== 'running' && state.status !== 'paused') return state;
      return { status: 'stopped', step: state.step, totalSteps: state.totalSteps };
    case 'finish':
      if (state.status !== 'running') return state;
      return { status: 'done', step: state.step, totalSteps: state.totalSteps };
    case 'fail':
      if (state.status !== 'running' && state.status !== 'paused') return state;
      return { status: 'failed', step: state.step, totalSteps: state.totalSteps, diagnostic: action.diagnostic };
  }
}
