/** The document's own settings: name, description, family, and how it trains. */
import type { z } from 'zod';
import { zFamily, zId, zLearningRateSchedule, zMeta, zObjectiveSettings, zOptimizer, zTraining, type GraphDocument, type ObjectiveSettings } from '../../core/graph/schema.ts';
import { getNodeDefinition } from '../../core/nodes/registry.ts';
import { isLossKind } from '../../core/nodes/types.ts';
import { formatCount } from '../canvas/to-flow.ts';
import { memoryLimitIssue, setMemoryLimit, useSettings } from '../store/app-settings.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';
import { NumberField, SelectField, TextField } from './fields.tsx';

function zodIssue(schema: z.ZodType, value: unknown): string | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

const FAMILY_LABELS: Record<string, string> = { vae: 'VAE', gan: 'GAN', transformer: 'Transformer', rnn: 'Recurrent network', flow: 'Normalizing flow', diffusion: 'Diffusion', custom: 'Custom' };

/** Objective names the loss nodes use, in document order. */
function lossObjectives(doc: GraphDocument): string[] {
  const names: string[] = [];
  for (const level of [doc, ...doc.modules]) {
    for (const node of level.nodes) {
      const def = getNodeDefinition(node.kind);
      if (!def || !isLossKind(def)) continue;
      const name = typeof node.params.objective === 'string' ? node.params.objective : 'main';
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

const edit = (label: string, recipe: (doc: GraphDocument) => void, group?: string) => getEditor().edit(recipe, label, group ? { group } : {});

function ObjectiveCard({ objective, index }: { objective: ObjectiveSettings; index: number }) {
  const o = objective.optimizer;
  const set = <K extends keyof ObjectiveSettings['optimizer']>(key: K, label: string) => (value: number | undefined, group: string) =>
    edit(`Set ${label}`, (doc) => {
      (doc.training.objectives[index]!.optimizer[key] as unknown) = value;
    }, `doc:${group}`);
  const number = (key: 'learningRate' | 'beta1' | 'beta2' | 'momentum' | 'weightDecay' | 'clipNorm' | 'ema', label: string, hint?: string) => (
    <NumberField
      label={label}
      testId={`objective-${objective.id}-${key}`}
      value={o[key]}
      integer={false}
      hint={hint}
      validate={(v) => zodIssue(zOptimizer.shape[key], v)}
      commit={set(key, label.toLowerCase())}
    />
  );
  return (
    <div className="objective-card" data-testid={`objective-${objective.id}`}>
      <div className="objective-head">
        <strong className="mono">{objective.id}</strong>
        <button
          type="button"
          className="link danger"
          title="Remove this objective's settings"
          onClick={() =>
            edit('Remove objective', (doc) => {
              doc.training.objectives.splice(index, 1);
            })
          }
        >
          Remove
        </button>
      </div>
      <SelectField
        label="Optimizer"
        testId={`objective-${objective.id}-type`}
        value={o.type}
        options={[{ value: 'adam', label: 'Adam' }, { value: 'adamw', label: 'AdamW' }, { value: 'sgd', label: 'SGD' }]}
        commit={(v) =>
          edit('Set optimizer', (doc) => {
            doc.training.objectives[index]!.optimizer.type = v;
          })
        }
      />
      <div className="field-grid">
        {number('learningRate', 'Learning rate')}
        {o.type === 'sgd' ? number('momentum', 'Momentum') : number('beta1', 'Beta 1')}
        {o.type === 'sgd' ? null : number('beta2', 'Beta 2')}
        {number('weightDecay', 'Weight decay')}
        {number('clipNorm', 'Clip norm', '0: off')}
        {number('ema', 'Weight average', 'EMA decay for sampling; 0: off')}
        <ScheduleFields objective={objective} index={index} />
        <NumberField
          label="Share"
          testId={`objective-${objective.id}-share`}
          value={objective.share}
          integer
          min={1}
          max={100}
          hint="steps per cycle"
          commit={(v, group) =>
            edit('Set share', (doc) => {
              doc.training.objectives[index]!.share = v ?? 1;
            }, `doc:${group}`)
          }
        />
      </div>
      <TextField
        label="Updates"
        testId={`objective-${objective.id}-updates`}
        value={objective.updates.join(', ')}
        placeholder="every variable its losses depend on"
        hint="module or node ids, comma-separated"
        validate={(t) => {
          const ids = t.split(/[\s,]+/).filter(Boolean);
          const bad = ids.find((id) => !zId.safeParse(id).success);
          return bad ? `"${bad}" is not an id.` : undefined;
        }}
        commit={(t) =>
          edit('Set updates', (doc) => {
            doc.training.objectives[index]!.updates = [...new Set(t.split(/[\s,]+/).filter(Boolean))];
          })
        }
      />
    </div>
  );
}

type Schedule = NonNullable<ObjectiveSettings['optimizer']['schedule']>;
const NO_SCHEDULE: Schedule = { warmupSteps: 0, decay: 'none', decaySteps: 0, minLearningRate: 0 };

/**
 * The schedule after an edit: a cosine chosen without a length lasts the rest of
 * the run (`runSteps` less the warm-up); no warm-up and no decay is no schedule.
 */
export function scheduleAfter(current: Schedule | undefined, patch: Partial<Schedule>, runSteps: number): Schedule | undefined {
  const next = { ...(current ?? NO_SCHEDULE), ...patch };
  if (next.decay === 'cosine' && next.decaySteps === 0) next.decaySteps = Math.max(1, runSteps - next.warmupSteps);
  return next.warmupSteps === 0 && next.decay === 'none' ? undefined : next;
}

/** The learning-rate schedule of an objective: a warm-up and a cosine decay; none of either leaves the document without a schedule. */
function ScheduleFields({ objective, index }: { objective: ObjectiveSettings; index: number }) {
  const schedule = objective.optimizer.schedule ?? NO_SCHEDULE;
  const change = (label: string, patch: Partial<Schedule>, group?: string) =>
    edit(
      `Set ${label}`,
      (doc) => {
        const optimizer = doc.training.objectives[index]!.optimizer;
        const next = scheduleAfter(optimizer.schedule, patch, doc.training.steps);
        if (next) optimizer.schedule = next;
        else delete optimizer.schedule;
      },
      group ? `doc:${group}` : undefined,
    );
  const steps = (key: 'warmupSteps' | 'decaySteps', label: string, hint: string) => (
    <NumberField
      label={label}
      testId={`objective-${objective.id}-${key}`}
      value={schedule[key]}
      integer
      min={0}
      hint={hint}
      validate={(v) => zodIssue(zLearningRateSchedule.shape[key], v)}
      commit={(v, group) => change(label.toLowerCase(), { [key]: v ?? 0 }, group)}
    />
  );
  return (
    <>
      {steps('warmupSteps', 'LR warm-up', 'updates; 0: none')}
      <SelectField
        label="LR decay"
        testId={`objective-${objective.id}-decay`}
        value={schedule.decay}
        options={[{ value: 'none', label: 'None' }, { value: 'cosine', label: 'Cosine' }]}
        commit={(v) => change('learning-rate decay', { decay: v })}
      />
      {schedule.decay === 'cosine' ? steps('decaySteps', 'Decay steps', 'updates after the warm-up') : null}
      {schedule.decay === 'cosine' ? (
        <NumberField
          label="Min LR"
          testId={`objective-${objective.id}-minLearningRate`}
          value={schedule.minLearningRate}
          integer={false}
          hint="where the cosine ends"
          validate={(v) => (v !== undefined && v > objective.optimizer.learningRate ? 'at most the learning rate' : zodIssue(zLearningRateSchedule.shape.minLearningRate, v))}
          commit={(v, group) => change('minimum learning rate', { minLearningRate: v ?? 0 }, group)}
        />
      ) : null}
    </>
  );
}

export function DocumentPanel() {
  const document = useEditor((s) => s.document);
  const analysis = useEditor((s) => s.analysis);
  const memoryLimitMB = useSettings((s) => s.memoryLimitMB);
  const { meta, training } = document;
  const training_ = (key: 'batchSize' | 'steps' | 'seed' | 'memoryBudgetMB', label: string, hint?: string) => (
    <NumberField
      label={label}
      testId={`training-${key}`}
      value={training[key]}
      integer
      hint={hint}
      validate={(v) => zodIssue(zTraining.shape[key], v)}
      commit={(v, group) =>
        edit(`Set ${label.toLowerCase()}`, (doc) => {
          if (v !== undefined) doc.training[key] = v;
        }, `doc:${group}`)
      }
    />
  );
  const defined = new Set(training.objectives.map((o) => o.id));
  const missing = lossObjectives(document).filter((name) => !defined.has(name));
  const memoryMB = analysis.memoryBytes / (1024 * 1024);

  return (
    <div className="inspector-doc" data-testid="inspector-document">
      <header className="inspector-head">
        <div>
          <h2>Graph</h2>
          <div className="muted">
            {formatCount(analysis.parameterCount)} parameters · about {memoryMB < 10 ? memoryMB.toFixed(1) : Math.round(memoryMB)} MB to train
          </div>
        </div>
      </header>
      <TextField
        label="Name"
        testId="doc-name"
        value={meta.name}
        validate={(t) => zodIssue(zMeta.shape.name, t.trim())}
        commit={(t) =>
          edit('Rename graph', (doc) => {
            doc.meta.name = t.trim();
          })
        }
      />
      <TextField
        label="Description"
        testId="doc-description"
        value={meta.description}
        multiline
        validate={(t) => zodIssue(zMeta.shape.description, t)}
        commit={(t) =>
          edit('Set description', (doc) => {
            doc.meta.description = t;
          })
        }
      />
      <SelectField
        label="Family"
        testId="doc-family"
        value={meta.family}
        options={zFamily.options.map((f) => ({ value: f, label: FAMILY_LABELS[f] ?? f }))}
        commit={(v) =>
          edit('Set family', (doc) => {
            doc.meta.family = v;
          })
        }
      />
      <section className="inspector-section">
        <h3>Training</h3>
        <div className="field-grid">
          {training_('batchSize', 'Batch size')}
          {training_('steps', 'Steps')}
          {training_('seed', 'Seed')}
          {training_('memoryBudgetMB', 'Memory budget', 'MB')}
        </div>
      </section>
      <section className="inspector-section">
        <h3>On this machine</h3>
        <div className="field-grid">
          <NumberField
            label="Memory limit"
            testId="setting-memory-limit"
            value={memoryLimitMB}
            integer
            hint="MB; no graph's budget goes past it"
            validate={memoryLimitIssue}
            commit={(v) => {
              if (v !== undefined) setMemoryLimit(v);
            }}
          />
        </div>
      </section>
      <section className="inspector-section">
        <h3>Objectives</h3>
        {training.objectives.length === 0 ? <p className="muted">No objective settings: every loss trains with Adam at 1e-3 over all the variables it depends on.</p> : null}
        {training.objectives.map((o, i) => (
          // Ids may repeat (GC207) until fixed; the index keeps keys unique.
          <ObjectiveCard key={`${i}:${o.id}`} objective={o} index={i} />
        ))}
        {missing.length > 0 ? (
          <div className="button-row">
            {missing.map((name) => (
              <button
                key={name}
                type="button"
                data-testid={`add-objective-${name}`}
                onClick={() =>
                  edit('Add objective', (doc) => {
                    doc.training.objectives.push(zObjectiveSettings.parse({ id: name }));
                  })
                }
              >
                Add settings for “{name}”
              </button>
            ))}
          </div>
        ) : null}
      </section>
    </div>
  );
}
