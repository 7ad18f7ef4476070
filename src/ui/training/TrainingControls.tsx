/** The toolbar's training buttons and the badge naming the backend that runs. */
import { BACKEND_LABELS, backendBadgeText } from '../../worker/backend-choice.ts';
import { wasmThreadsText } from '../../worker/wasm-threads.ts';
import { pauseTraining, resumeTraining, startTraining, stopTraining } from './training-client.ts';
import { dispatchTraining, useTraining } from './training-store.ts';

export function TrainingControls() {
  const status = useTraining((s) => s.state.status);
  const stored = useTraining((s) => s.stored);
  const backend = useTraining((s) => s.backend);
  const panelOpen = useTraining((s) => s.panelOpen);
  const stopping = useTraining((s) => s.stopping);
  const active = status === 'running' || status === 'paused';
  return (
    <div className="tool-group training-controls">
      {!active ? (
        <>
          <button type="button" className="tool tool-primary" data-testid="train-start" title="Train the graph in this browser, from the start" onClick={() => startTraining({ resume: false })}>
            ▶ Train
          </button>
          {stored ? (
            <button type="button" className="tool" data-testid="train-resume-checkpoint" title="Continue from the checkpoint saved in this browser" onClick={() => startTraining({ resume: true })}>
              Resume from step {stored.step.toLocaleString('en')}
            </button>
          ) : null}
        </>
      ) : (
        <>
          {status === 'running' ? (
            <button type="button" className="tool" data-testid="train-pause" title="Pause training (a checkpoint is saved)" onClick={pauseTraining}>
              ❚❚ Pause
            </button>
          ) : (
            <button type="button" className="tool tool-primary" data-testid="train-resume" title="Resume training" onClick={resumeTraining}>
              ▶ Resume
            </button>
          )}
          <button type="button" className="tool" data-testid="train-stop" title="Stop training (a checkpoint is saved)" onClick={stopTraining} disabled={stopping}>
            {stopping ? 'Stopping…' : '■ Stop'}
          </button>
        </>
      )}
      <button type="button" className="tool" data-testid="toolbar-training" aria-pressed={panelOpen} title="Show or hide the training panel" onClick={() => dispatchTraining({ type: 'panel', open: !panelOpen })}>
        Charts
      </button>
      {backend ? (
        <span
          className="backend-badge"
          data-testid="train-backend"
          data-backend={backend.backend}
          {...(backend.threads ? { 'data-threads': backend.threads } : {})}
          title={`${BACKEND_LABELS[backend.backend]}${backend.adapter ? ` on ${backend.adapter}` : ''}${backend.threads ? ` on ${wasmThreadsText(backend.threads, backend.threadsLimit)}` : ''}${backend.fallbackReason ? ` (fell back: ${backend.fallbackReason})` : ''}`}
        >
          {backendBadgeText(backend)}
        </span>
      ) : null}
    </div>
  );
}
