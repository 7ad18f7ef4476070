/**
 * Ctrl+C and `kill` during a run: the first SIGINT or SIGTERM asks the run
 * to stop after the step it is in (it then saves a checkpoint and its
 * record); a second one, or any once nothing is left to save, exits at once.
 */

/** Shell convention: 128 + the signal's number. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

export interface Interrupts {
  /** The first signal received, if any. */
  readonly signal: StopSignal | undefined;
  /** From now on a signal exits at once: the run's work is safe on disk. */
  exitOnSignal(): void;
  dispose(): void;
}

interface SignalTarget {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
  exit(code: number): never;
}

export function catchInterrupts(onFirst: (signal: StopSignal) => void, target: SignalTarget = process): Interrupts {
  let received: StopSignal | undefined;
  let exitAtOnce = false;
  const listeners = new Map<StopSignal, () => void>();
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]) {
    const listener = () => {
      if (received !== undefined || exitAtOnce) target.exit(SIGNAL_EXIT_CODES[signal]);
      received = signal;
      onFirst(signal);
    };
    listeners.set(signal, listener);
    target.on(signal, listener);
  }
  return {
    get signal() {
      return received;
    },
    exitOnSignal() {
      exitAtOnce = true;
    },
    dispose() {
      for (const [signal, listener] of listeners) target.off(signal, listener);
    },
  };
}
