/**
 * The training panel beside the canvas: progress, charts of every
 * objective (and held-out losses when they are computed), the previews its
 * samplers and objectives call for, and the checkpoint: resume, download and
 * load weights (GenComposer's model.json and weights.bin, or PyTorch's
 * safetensors).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { compile } from '../../core/compiler/program.ts';
import { BACKEND_CHOICE_LABELS } from '../../worker/backend-choice.ts';
import { hasAdversarialBalance } from '../../worker/preview-plan.ts';
import { BACKEND_CHOICES, type BackendChoiceSetting } from '../../worker/protocol.ts';
import { wasmThreadsNote } from '../../worker/wasm-threads.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';
import { DockTabs } from './DockTabs.tsx';
import { LossChart } from './LossChart.tsx';
import './training.css';
import { ImagePreviewView, TextPreviewView } from './PreviewView.tsx';
import { formatDuration, progressOf, progressText } from './progress.ts';
import { mergeSeries, pick } from './series.ts';
import { loadWeightsFiles, requestWeights, sampleAt, sampleWithCondition } from './training-client.ts';
import { D_FAKE, D_GAP, D_REAL, dispatchTraining, isActive, useTraining } from './training-store.ts';

const STATUS_TEXT = { idle: 'Not trained yet', running: 'Training', paused: 'Paused', stopped: 'Stopped', done: 'Done', failed: 'Stopped by an error' } as const;

function useDebounced(fn: (value: number) => void, ms: number): (value: number) => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return (value) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => fn(value), ms);
  };
}

/**
 * The run's elapsed seconds: the worker's last report, and while it runs the
 * time since then, ticking each second (a report comes every few steps, which
 * on a slow backend is many seconds apart).
 */
function useTickingElapsed(reported: number, running: boolean): number {
  const [, tick] = useState(0);
  const since = useRef({ reported, at: performance.now() });
  if (since.current.reported !== reported) since.current = { reported, at: performance.now() };
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return running && reported > 0 ? reported + (performance.now() - since.current.at) / 1000 : reported;
}

function Progress() {
  const state = useTraining((s) => s.state);
  const speed = useTraining((s) => s.speed);
  const stopping = useTraining((s) => s.stopping);
  const elapsed = useTickingElapsed(
    useTraining((s) => s.elapsedSeconds),
    state.status === 'running',
  );
  const progress = progressOf(state, speed);
  return (
    <div className="train-progress-box">
      <div className="train-status" data-testid="train-status" data-status={state.status} data-step={progress?.step ?? 0} data-stopping={stopping || undefined}>
        {stopping ? 'Stopping…' : STATUS_TEXT[state.status]}
        {elapsed > 0 ? <span className="train-elapsed"> · {formatDuration(elapsed)} elapsed</span> : null}
      </div>
      <div className="train-progress" role="progressbar" aria-valuemin={0} aria-valuemax={progress?.totalSteps ?? 0} aria-valuenow={progress?.step ?? 0} data-testid="train-progress">
        <div className="train-progress-bar" style={{ width: `${((progress?.fraction ?? 0) * 100).toFixed(1)}%` }} />
      </div>
      {progress ? <div className="train-progress-text" data-testid="train-progress-text">{progressText(progress, state.status === 'running')}</div> : null}
    </div>
  );
}

function StepsField() {
  const graphSteps = useEditor((s) => s.document.training.steps);
  const steps = useTraining((s) => s.totalSteps);
  const active = useTraining((s) => isActive(s.state));
  return (
    <label className="train-steps">
      Train to step
      <input
        type="number"
        min={1}
        step={100}
        value={steps ?? graphSteps}
        disabled={active}
        data-testid="train-steps"
        onChange={(e) => {
          const n = Number(e.currentTarget.value);
          dispatchTraining({ type: 'totalSteps', totalSteps: Number.isInteger(n) && n >= 1 ? n : undefined });
        }}
      />
    </label>
  );
}

function BackendField() {
  const choice = useTraining((s) => s.backendChoice);
  const active = useTraining((s) => isActive(s.state));
  return (
    <label className="train-steps" title="Where the next run trains; a named backend that cannot start is an error, with the reason">
      Backend
      <select value={choice} disabled={active} data-testid="train-backend-choice" onChange={(e) => dispatchTraining({ type: 'backendChoice', choice: e.currentTarget.value as BackendChoiceSetting })}>
        {BACKEND_CHOICES.map((c) => (
          <option key={c} value={c}>
            {BACKEND_CHOICE_LABELS[c]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Why WASM runs on fewer threads than the machine has cores (a page that is not cross-origin isolated). */
function ThreadsNote({ threads, limit }: { threads: number; limit: string }) {
  return (
    <p className="train-note" data-testid="train-threads">
      {wasmThreadsNote(threads, limit)}
    </p>
  );
}

function ErrorBox() {
  const error = useTraining((s) => s.error);
  if (!error) return null;
  return (
    <div className="train-error" role="alert" data-testid="train-error">
      {error.code ? <strong>{error.code} </strong> : null}
      {error.message}
      {error.nodes.length ? (
        <button type="button" className="link" onClick={() => getEditor().focusNode(error.nodes[0]!)}>
          Show {error.nodes[0]}
        </button>
      ) : null}
    </div>
  );
}

function Checkpoint() {
  const stored = useTraining((s) => s.stored);
  const state = useTraining((s) => s.state);
  const file = useRef<HTMLInputElement>(null);
  const active = isActive(state);
  return (
    <section className="train-checkpoint">
      <h4>Weights</h4>
      <p data-testid="train-checkpoint">{stored ? `Checkpoint saved in this browser at step ${stored.step.toLocaleString('en')}.` : 'No checkpoint saved for this graph yet.'}</p>
      <div className="train-row">
        <button type="button" className="tool" data-testid="train-download-weights" disabled={state.status === 'idle' && !stored} onClick={requestWeights} title="Download the weights as TF.js artifacts: model.json and weights.bin">
          Download weights
        </button>
        <button type="button" className="tool" data-testid="train-load-weights" disabled={active} onClick={() => file.current?.click()} title="Load model.json and weights.bin saved earlier, or a .safetensors file of PyTorch weights (the exported project's model.py names)">
          Load weights…
        </button>
        <input
          ref={file}
          type="file"
          multiple
          accept=".json,.bin,.safetensors,application/json,application/octet-stream"
          hidden
          data-testid="train-load-weights-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            if (files.length) void loadWeightsFiles(files);
          }}
        />
      </div>
    </section>
  );
}

function Charts() {
  const losses = useTraining((s) => s.losses);
  const evals = useTraining((s) => s.evals);
  const watched = useTraining((s) => s.watched);
  const document = useEditor((s) => s.document);
  const analysis = useEditor((s) => s.analysis);
  const balance = useMemo(() => {
    const compiled = compile(document, analysis);
    return compiled.ok && hasAdversarialBalance(compiled.program) ? compiled.program.objectives.map((o) => o.id) : undefined;
  }, [document, analysis]);
  const discriminator = useTraining((s) => s.discriminator);
  const balanceSeries = useMemo(() => (balance ? mergeSeries(pick(losses, balance), discriminator) : undefined), [balance, losses, discriminator]);
  const latest = discriminator.steps.length ? discriminator.values.map((line) => line.at(-1)) : undefined;
  return (
    <>
      <LossChart series={losses} testId="chart-losses" title="Losses (training batches)" />
      {balanceSeries ? (
        <LossChart series={balanceSeries} testId="chart-balance" title="Discriminator / generator balance" height={130} sparse={[D_REAL, D_FAKE, D_GAP]}>
          {latest ? (
            <p
              className="train-note"
              data-testid="train-discriminator"
              title={
                discriminator.names.includes(D_GAP)
                  ? "The discriminator's mean score on held-out real and on generated examples, and their gap: a Wasserstein critic's estimate of the distance between the data and the samples, falling as the generator catches up"
                  : "The discriminator's mean σ(logit) on held-out real and on generated examples: both near 0.5 is a balanced game"
              }
            >
              {discriminator.names.map((name, i) => `${name} ${latest[i]?.toFixed(2) ?? '–'}`).join(' · ')} at step {discriminator.steps.at(-1)!.toLocaleString('en')}
            </p>
          ) : null}
        </LossChart>
      ) : null}
      {evals.steps.length ? <LossChart series={evals} testId="chart-eval" title="Held-out losses" height={130} /> : null}
      {watched.steps.length ? <LossChart series={watched} testId="chart-watched" title="Watched numbers (training batches)" height={130} /> : null}
    </>
  );
}

function Previews() {
  const previews = useTraining((s) => s.previews);
  const step = useTraining((s) => s.previewStep);
  const requested = useTraining((s) => s.requestedConditions);
  const onTemperature = useDebounced(sampleAt, 200);
  if (previews.length === 0) return null;
  return (
    <section className="train-previews" data-testid="train-previews" data-step={step ?? ''}>
      <h4>Samples{step !== undefined ? ` at step ${step.toLocaleString('en')}` : ''}</h4>
      {previews.map((p) =>
        p.kind === 'image' ? (
          <ImagePreviewView key={p.id} preview={p} requestedCondition={p.condition ? requested[p.condition.sampler] : undefined} onCondition={sampleWithCondition} />
        ) : (
          <TextPreviewView key={p.id} preview={p} onTemperature={onTemperature} />
        ),
      )}
    </section>
  );
}

export function TrainingPanel() {
  const open = useTraining((s) => s.panelOpen);
  const notice = useTraining((s) => s.notice);
  const backend = useTraining((s) => s.backend);
  if (!open) return null;
  return (
    <aside className="training-panel" data-testid="training-panel" aria-label="Training">
      <header className="training-panel-head">
        <DockTabs active="training" />
      </header>
      <Progress />
      <StepsField />
      <BackendField />
      {backend?.fallbackReason ? <p className="train-note" data-testid="train-fallback">Why this backend: {backend.fallbackReason}</p> : null}
      {backend?.threadsLimit && backend.threads ? <ThreadsNote threads={backend.threads} limit={backend.threadsLimit} /> : null}
      {notice ? <p className="train-note">{notice}</p> : null}
      <ErrorBox />
      <Charts />
      <Previews />
      <Checkpoint />
    </aside>
  );
}
