/**
 * The training worker's logic, apart from the worker itself so it also runs
 * (and is tested) in Node: it takes commands, builds the graph like the CLI
 * does (load, compile, open data, session, optional resume), drives the one
 * training loop of core/train/loop.ts, and reports events: backend, state,
 * losses, held-out metrics, previews, checkpoints, errors.
 *
 * Checkpoints go to the store every `checkpointEvery` steps and at pause,
 * stop and the end. When the WebGPU device is lost, the run moves to the
 * next backend in the order and continues from the last stored checkpoint.
 */
import { compile, type Program } from '../core/compiler/program.ts';
import type { DataSource } from '../core/data/source.ts';
import { loadText } from '../core/graph/load.ts';
import { analyze } from '../core/shapes/analyze.ts';
import { CheckpointError, nonFiniteWeight, parseManifest, restoreCheckpoint, saveCheckpoint } from '../core/train/checkpoint.ts';
import { validationLosses } from '../core/train/family-eval.ts';
import { runTraining, type TrainingEvent } from '../core/train/loop.ts';
import type { ReadUserFile } from '../core/data/user-file.ts';
import { DataError, openProgramData, streamBatches } from '../core/train/program-data.ts';
import { TrainingSession } from '../core/train/session.ts';
import type { TrainingState } from '../core/train/state.ts';
import { backendOrder, backendsAfter, chooseBackend, type BackendChoice, type StartBackend } from './backend-choice.ts';
import { checkpointKey, checkpointKeys, storedCheckpoint, type CheckpointStore } from '../storage/checkpoints.ts';
import { DISCRIMINATOR_EXAMPLES, discriminatorLoss, discriminatorMeans } from './discriminator-balance.ts';
import { applicableConditions, hasAdversarialBalance, previewPlan, type PreviewSpec } from './preview-plan.ts';
import { PREVIEW_SEED, renderPreviews, type PreviewFilter } from './previews.ts';
import { conditionProblem, type ConditionChoice } from '../core/nodes/sampler-condition.ts';
import { parseWorkerCommand, type BrowserBackend, type ParsedWorkerCommand, type TrainingSettings, type WorkerEvent } from './protocol.ts';

export interface RunnerEnvironment {
  post(event: WorkerEvent): void;
  startBackend: StartBackend;
  readAsset(path: string): Promise<Uint8Array>;
  /** Data files the user attached (csv, images, text datasets). */
  readUserFile?: ReadUserFile;
  store: CheckpointStore;
  /** The active GPU device when WebGPU runs, to notice when it is lost. */
  gpuDevice?(): { lost: Promise<{ reason?: string; message?: string }>; destroy(): void } | undefined;
  /** Drops a backend after its device was lost. */
  dropBackend?(name: BackendChoice['backend']): void;
  now?(): number;
}

type StartCommand = Extract<ParsedWorkerCommand, { type: 'start' }>;
type LoadWeightsCommand = Extract<ParsedWorkerCommand, { type: 'loadWeights' }>;

interface Run {
  program: Program;
  sources: Map<string, DataSource>;
  session: TrainingSession;
  settings: TrainingSettings;
  /** The backends this run moves to, in order, if its device is lost. */
  fallbacks: BrowserBackend[];
  key: string;
  previews: PreviewSpec[];
  /** A GAN: D(real) and D(fake) are sent with each round of previews. */
  discriminatorMeans: boolean;
}

/** A failure to show as it is (a broken graph, missing data): no stack trace. */
class RunError extends Error {
  constructor(
    message: string,
    readonly details: Omit<Extract<WorkerEvent, { type: 'error' }>, 'type' | 'message'> = {},
  ) {
    super(message);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export class TrainingRunner {
  private backend: BackendChoice | undefined;
  /** The setting the current backend was chosen for. */
  /** The settings the running backend was chosen for (the choice, and whether software GPUs may run). */
  private backendChosenFor: string | undefined;
  private run: Run | undefined;
  private control: 'run' | 'pause' | 'stop' = 'run';
  private training = false;
  /** Set when the GPU device is lost during a run: the reason. */
  private deviceLost: string | undefined;
  private watchedDevice: unknown;
  private temperature: number | undefined;
  /** The labels chosen for conditioned samplers' grids, by sampler; kept from run to run while they fit (like the temperature). */
  private conditions: ReadonlyMap<string, ConditionChoice> = new Map();
  private lastSavedStep = -1;
  private lastPreview = { at: -Infinity, step: -1 };
  private readonly now: () => number;

  constructor(private readonly env: RunnerEnvironment) {
    this.now = env.now ?? (() => performance.now());
  }

  /** Handles one message from the UI; never throws (failures become 'error' events). */
  async handle(message: unknown): Promise<void> {
    const parsed = parseWorkerCommand(message);
    if (!parsed.ok) {
      this.env.post({ type: 'error', message: parsed.error });
      return;
    }
    try {
      await this.dispatch(parsed.command);
    } catch (error) {
      const details = error instanceof RunError ? error.details : {};
      this.env.post({ type: 'error', message: messageOf(error), ...details });
    }
  }

  private async dispatch(command: ParsedWorkerCommand): Promise<void> {
    switch (command.type) {
      case 'start':
        return this.start(command);
      case 'pause':
      case 'resume':
      case 'stop':
        if (this.training) this.control = command.type === 'resume' ? 'run' : command.type;
        return;
      case 'sample':
        this.temperature = command.temperature;
        if (this.run) await this.sendPreviews({ kind: 'text' });
        return;
      case 'condition':
        return this.chooseCondition(command.sampler, command.choice);
      case 'requestCheckpoint': {
        if (!this.run) throw new RunError('nothing has been trained yet: there are no weights to download');
        const { manifest, weights } = await saveCheckpoint(this.run.session);
        this.env.post({ type: 'weights', step: this.run.session.step, manifest, weights });
        return;
      }
      case 'loadWeights':
        return this.loadWeights(command);
      case 'exportWeights':
        return this.exportWeights(command.request, command.keys);
      case 'loseDevice': {
        const device = this.env.gpuDevice?.();
        if (!device) throw new RunError('the run is not on a WebGPU device');
        device.destroy();
        return;
      }
    }
  }

  // ------------------------------------------------------------ setting up

  /** Keeps the backend that runs while the settings that choose it stay the same (starting one again costs seconds); else chooses anew. */
  private async ensureBackend({ backend: setting, softwareGpu }: TrainingSettings): Promise<void> {
    const choosing = `${setting}${softwareGpu ? ' with software GPUs' : ''}`;
    if (this.backend && this.backendChosenFor === choosing) return;
    this.backend = await chooseBackend(backendOrder(setting), this.env.startBackend, undefined, { softwareGpu });
    this.backendChosenFor = choosing;
    this.env.post({ type: 'backend', ...this.backend });
    this.watchDevice();
  }

  private watchDevice(): void {
    const device = this.env.gpuDevice?.();
    // On another backend now: a device left behind no longer speaks for the run.
    if (!device) this.watchedDevice = undefined;
    if (!device || device === this.watchedDevice) return;
    this.watchedDevice = device;
    void device.lost.then((info) => {
      if (this.watchedDevice !== device) return;
      this.deviceLost = info.message || info.reason || 'unknown reason';
    });
  }

  private async build(documentText: string, settings: TrainingSettings): Promise<Run> {
    const loaded = loadText(documentText);
    if (!loaded.ok) throw new RunError(`the graph cannot be loaded: ${loaded.diagnostics[0]?.message ?? 'invalid'}`, { ...(loaded.diagnostics[0] ? { diagnostic: loaded.diagnostics[0] } : {}) });
    const limit = settings.memoryLimitMB;
    const compiled = compile(loaded.document, analyze(loaded.document, limit === undefined ? {} : { maxMemoryBudgetMB: limit }));
    if (!compiled.ok) {
      const first = compiled.diagnostics.find((d) => d.severity === 'error') ?? compiled.diagnostics[0];
      throw new RunError(`the graph has problems to fix before it can train: ${first?.message ?? 'it does not compile'}`, {
        ...(first ? { diagnostic: first } : {}),
        nodes: compiled.diagnostics.flatMap((d) => (d.node ? [d.node] : [])),
      });
    }
    const program = compiled.program;
    if (program.objectives.length === 0) throw new RunError('the graph has no objective to train: add a loss node');
    await this.ensureBackend(settings);
    let sources: Map<string, DataSource>;
    try {
      sources = await openProgramData(program, (path) => this.env.readAsset(path), this.env.readUserFile);
    } catch (error) {
      if (error instanceof DataError) throw new RunError(`${error.node}: ${error.message}`, { nodes: [error.node] });
      throw new RunError(`the training data could not be read: ${messageOf(error)}`);
    }
    const session = new TrainingSession(program, streamBatches(sources), settings.batchSize ?? program.document.training.batchSize);
    const fallbacks = backendsAfter(backendOrder(settings.backend), this.backend!.backend);
    const discriminatorMeans = hasAdversarialBalance(program) && discriminatorLoss(program) !== undefined;
    return { program, sources, session, settings, fallbacks, key: checkpointKey(program.document), previews: previewPlan(program), discriminatorMeans };
  }

  private replaceRun(run: Run | undefined): void {
    this.run?.session.dispose();
    this.run = run;
    if (run) this.conditions = applicableConditions(run.previews, this.conditions);
    this.lastSavedStep = -1;
    this.lastPreview = { at: -Infinity, step: -1 };
  }

  // ------------------------------------------------------------ training

  private async start(command: StartCommand): Promise<void> {
    if (this.training) throw new RunError('a run is already training: stop it first');
    this.training = true;
    this.control = 'run';
    try {
      let run: Run;
      try {
        this.replaceRun(undefined);
        run = await this.build(command.documentText, command.settings);
        this.replaceRun(run);
        if (command.resume) await this.restoreStored(run);
      } catch (error) {
        // Nothing started: the page, which showed the run as starting, goes back to idle.
        this.env.post({ type: 'state', state: { status: 'idle' } });
        throw error;
      }
      await this.train(run);
    } finally {
      this.training = false;
    }
  }

  /** Continues from the stored checkpoint, if any; a broken one is reported and training starts fresh. */
  private async restoreStored(run: Run): Promise<boolean> {
    const { key, info } = await storedCheckpoint(this.env.store, checkpointKeys(run.program.document));
    const stored = info ? await this.env.store.load(key) : undefined;
    if (!stored) return false;
    try {
      restoreCheckpoint(run.session, { manifest: parseManifest(stored.manifest), weights: stored.weights });
      this.lastSavedStep = run.session.step;
      return true;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      this.env.post({ type: 'notice', text: `The stored checkpoint could not be used (${error.message}); training starts from scratch.` });
      return false;
    }
  }

  private async train(first: Run): Promise<void> {
    let run = first;
    for (;;) {
      this.deviceLost = undefined;
      let failure: unknown;
      try {
        await this.loop(run);
      } catch (error) {
        failure = error;
      }
      // A lost device may surface as a failed read before its `lost` promise settles.
      if (failure !== undefined && this.env.gpuDevice && !this.deviceLost) await new Promise((resolve) => setTimeout(resolve, 200));
      if (this.deviceLost === undefined) {
        if (failure !== undefined) {
          this.env.post({ type: 'error', message: `training failed at step ${run.session.step}: ${messageOf(failure)}` });
          this.env.post({ type: 'state', state: { status: 'stopped', step: run.session.step, totalSteps: run.settings.totalSteps } });
        }
        return;
      }
      run = await this.recoverFromLostDevice(run);
    }
  }

  private async recoverFromLostDevice(run: Run): Promise<Run> {
    const lost = this.backend!.backend;
    const reason = `${lost}: the GPU device was lost (${this.deviceLost})`;
    const order = run.fallbacks;
    this.watchedDevice = undefined;
    try {
      run.session.dispose();
    } catch {
      // Its buffers went with the device.
    }
    this.run = undefined;
    this.env.dropBackend?.(lost);
    this.backend = undefined;
    if (order.length === 0) throw new RunError(`${reason}, and no other backend is left to try`);
    this.backend = await chooseBackend(order, this.env.startBackend, reason, { softwareGpu: run.settings.softwareGpu });
    this.env.post({ type: 'backend', ...this.backend });
    this.watchDevice();
    const session = new TrainingSession(run.program, streamBatches(run.sources), run.session.batchSize, run.session.seed);
    const next: Run = { ...run, session, fallbacks: backendsAfter(order, this.backend.backend) };
    this.replaceRun(next);
    const resumed = await this.restoreStored(next);
    this.env.post({
      type: 'notice',
      text: `The GPU device was lost; training goes on with ${this.backend.backend} from ${resumed ? `the checkpoint at step ${session.step}` : 'the start (no checkpoint was saved yet)'}.`,
    });
    return next;
  }

  private async loop(run: Run): Promise<TrainingState> {
    const { settings, session } = run;
    const every = [settings.checkpointEvery, settings.evalEvery].filter((n) => n > 0).reduce(gcd);
    return runTraining(session, {
      totalSteps: settings.totalSteps,
      logEvery: settings.logEvery,
      evalEvery: every,
      control: () => (this.deviceLost !== undefined ? 'stop' : this.control),
      onEvent: (event) => this.onLoopEvent(run, event),
    });
  }

  private async onLoopEvent(run: Run, event: TrainingEvent): Promise<void> {
    // A stop caused by a lost device is not the person's stop: the run goes on elsewhere.
    if (this.deviceLost !== undefined) return;
    const step = run.session.step;
    switch (event.type) {
      case 'state': {
        this.env.post({ type: 'state', state: event.state });
        const { status } = event.state;
        if (status === 'paused' || status === 'stopped' || status === 'done') {
          await this.saveCheckpoint(run);
          if (status === 'done') await this.evaluate(run);
          await this.sendPreviews();
        }
        if (event.state.status === 'failed') {
          const { diagnostic } = event.state;
          this.env.post({ type: 'error', message: diagnostic.message, diagnostic, nodes: lossNodesNamedIn(run.program, diagnostic.message) });
        }
        return;
      }
      case 'losses': {
        const objectives = Object.fromEntries(Object.entries(event.report.objectives).map(([id, o]) => [id, { total: o.total, losses: o.losses, ...(o.metrics ? { metrics: o.metrics } : {}) }]));
        this.env.post({ type: 'losses', step: event.report.step, objectives, stepsPerSecond: event.stepsPerSecond, elapsedSeconds: event.elapsedSeconds });
        const { previewSeconds, previewSteps } = run.settings;
        const due = this.now() - this.lastPreview.at >= previewSeconds * 1000 || (previewSteps > 0 && step - this.lastPreview.step >= previewSteps);
        if (due && step < run.settings.totalSteps) await this.sendPreviews();
        return;
      }
      case 'checkpoint': {
        if (step % run.settings.checkpointEvery === 0 && step < run.settings.totalSteps) await this.saveCheckpoint(run);
        if (run.settings.evalEvery > 0 && step % run.settings.evalEvery === 0 && step < run.settings.totalSteps) await this.evaluate(run);
        return;
      }
    }
  }

  /** Stores the run's checkpoint; at step 0 only when `always` (loaded weights, which are worth keeping before any training). */
  private async saveCheckpoint(run: Run, always = false): Promise<void> {
    const step = run.session.step;
    if (!always && (step === this.lastSavedStep || step === 0)) return;
    const checkpoint = await saveCheckpoint(run.session);
    // Diverged weights never replace the last good checkpoint.
    const bad = nonFiniteWeight(checkpoint);
    if (bad) {
      this.env.post({ type: 'notice', text: `The checkpoint of step ${step} was not saved: its weights are not finite (${bad}).` });
      return;
    }
    const savedAt = new Date().toISOString();
    await this.env.store.save(run.key, checkpoint, { step, savedAt, graph: run.program.document.meta.name, ...(this.backend ? { backend: this.backend.backend } : {}) });
    // A checkpoint found under the key of an older release is superseded by this one.
    for (const older of checkpointKeys(run.program.document).slice(1)) await this.env.store.remove(older);
    this.lastSavedStep = step;
    this.env.post({ type: 'checkpoint', step, savedAt });
  }

  private async evaluate(run: Run): Promise<void> {
    if (run.settings.evalEvery === 0) return;
    // Called between training steps, so the averaged weights (ema) can stand in for a moment.
    const metrics = await run.session.withAveragedWeights(() => validationLosses(run.session, run.sources, run.settings.evalExamples));
    if (metrics && Object.keys(metrics).length) this.env.post({ type: 'eval', step: run.session.step, metrics });
  }

  /**
   * Redraws a conditioned sampler's grid with the labels chosen, and keeps
   * them for the run's later previews. A label that is not a class of the
   * sampler is refused with the reason; so is a choice that cannot be drawn
   * (the previous one stays).
   */
  private async chooseCondition(sampler: string, choice: ConditionChoice): Promise<void> {
    const run = this.run;
    if (!run) throw new RunError('nothing has been trained yet: there are no samples to draw with other labels');
    const spec = run.previews.find((s) => s.kind === 'grid' && s.sampler === sampler);
    const condition = spec?.kind === 'grid' ? spec.condition : undefined;
    if (!condition) throw new RunError(`sampler "${sampler}" has no class-conditioned sample grid to draw with other labels`);
    const problem = conditionProblem(choice, condition.classes, condition.nullLabel);
    if (problem) throw new RunError(`sampler "${sampler}": ${problem}`);
    const conditions = new Map(this.conditions).set(sampler, choice);
    await this.sendPreviews({ kind: 'grid', sampler }, conditions);
    this.conditions = conditions;
  }

  /** Draws the previews (all, or a redraw of those `only` selects) and posts them. */
  private async sendPreviews(only?: PreviewFilter, conditions = this.conditions): Promise<void> {
    const run = this.run;
    if (!run) return;
    if (!only && run.discriminatorMeans) await this.sendDiscriminatorMeans(run);
    if (run.previews.length === 0) return;
    const render = () =>
      renderPreviews(
        { session: run.session, sources: run.sources, count: run.settings.previewCount, conditions, ...(this.temperature === undefined ? {} : { temperature: this.temperature }) },
        run.previews,
        only,
      );
    // Samples come from the averaged weights (ema), swapped in between training steps; a
    // resample asked for while the loop runs may fall between its steps, so it uses the trained ones.
    const previews = only && this.training ? await render() : await run.session.withAveragedWeights(render);
    if (!only) this.lastPreview = { at: this.now(), step: run.session.step };
    if (previews.length) this.env.post({ type: 'previews', step: run.session.step, previews });
  }

  private async sendDiscriminatorMeans(run: Run): Promise<void> {
    const count = Math.min(DISCRIMINATOR_EXAMPLES, ...[...run.sources.values()].map((s) => s.size.validation));
    const means = await discriminatorMeans(run.session, (op, start, n) => run.sources.get(op.id)!.validationBatch(start, n), count, PREVIEW_SEED);
    if (means) this.env.post({ type: 'discriminator', step: run.session.step, ...means });
  }

  // ------------------------------------------------------------ loading weights

  private async loadWeights(command: LoadWeightsCommand): Promise<void> {
    if (this.training) throw new RunError('stop training before loading weights');
    this.replaceRun(undefined);
    const run = await this.build(command.documentText, command.settings);
    try {
      restoreCheckpoint(run.session, { manifest: parseManifest(command.manifest), weights: command.weights }, 'weights');
    } catch (error) {
      run.session.dispose();
      if (error instanceof CheckpointError) throw new RunError(`these weights do not fit this graph: ${error.message}`);
      throw error;
    }
    this.replaceRun(run);
    // PyTorch weights come in at step 0: stored all the same, so a reload or "Resume" starts from them.
    await this.saveCheckpoint(run, true);
    await this.sendPreviews();
  }

  // ------------------------------------------------------------ exporting

  /**
   * The weights an export of the graph on screen writes: the run's own when
   * it holds that model (read between steps if it trains) and they are
   * finite, else the checkpoint stored for it; none when neither is there.
   * Failures go back with the request, so the page is never left waiting.
   */
  private async exportWeights(request: number, keys: readonly string[]): Promise<void> {
    try {
      const run = this.run;
      if (run && keys.includes(run.key)) {
        const checkpoint = await saveCheckpoint(run.session);
        // Diverged weights are not worth exporting: the last stored (finite) checkpoint is.
        if (!nonFiniteWeight(checkpoint)) {
          this.env.post({ type: 'exportWeights', request, checkpoint: { step: run.session.step, manifest: checkpoint.manifest, weights: checkpoint.weights, source: 'run' } });
          return;
        }
      }
      const { key, info } = await storedCheckpoint(this.env.store, keys);
      const stored = info ? await this.env.store.load(key) : undefined;
      if (!info || !stored) {
        this.env.post({ type: 'exportWeights', request });
        return;
      }
      this.env.post({ type: 'exportWeights', request, checkpoint: { step: info.step, manifest: stored.manifest, weights: stored.weights, source: 'stored' } });
    } catch (error) {
      this.env.post({ type: 'exportWeights', request, error: messageOf(error) });
    }
  }

  /** Frees the session (the worker is closing). */
  dispose(): void {
    this.replaceRun(undefined);
  }
}

/** The loss nodes of the objective a message names (GC206 quotes the objective's id). */
export function lossNodesNamedIn(program: Pick<Program, 'objectives'>, message: string): string[] {
  const objective = program.objectives.find((o) => message.includes(`"${o.id}"`));
  return objective ? [...new Set(objective.losses.map((op) => op.origin.node))] : [];
}
