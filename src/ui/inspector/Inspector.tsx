/**
 * The right-hand panel: the selected node's label, problems, ports and
 * params (a form generated from its schema), or the document's settings
 * when nothing is selected. Every change is one edit through the store.
 */
import { useMemo, type ReactNode } from 'react';
import { setLabel, setParams } from '../../core/edits/recipes.ts';
import type { GraphNode } from '../../core/graph/schema.ts';
import { describeParams, type ParamDescription } from '../../core/nodes/describe.ts';
import { getNodeDefinition } from '../../core/nodes/registry.ts';
import type { NodeDefinition } from '../../core/nodes/types.ts';
import type { Diagnostic } from '../../core/base/diagnostics.ts';
import { useCanvasCommands } from '../canvas/commands.ts';
import { formatCount, instanceCounts, levelOf, toNodeViews, type PortView } from '../canvas/to-flow.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';
import { DocumentPanel } from './DocumentPanel.tsx';
import { CheckField, IntListField, NumberField, SelectField, TextField } from './fields.tsx';
import { humanize, paramHint, paramIssue, shownParams } from './param-values.ts';
import { UserFileField } from './UserFileField.tsx';
import { DockTabs } from '../training/DockTabs.tsx';
import { useTraining } from '../training/training-store.ts';

const described = new Map<NodeDefinition, ParamDescription[]>();
function paramsOf(def: NodeDefinition): ParamDescription[] {
  let list = described.get(def);
  if (!list) described.set(def, (list = describeParams(def)));
  return list;
}

/** Problems as a list; `withNode` names the node too (for lists covering several nodes). */
export function DiagnosticList({ diagnostics, withNode = false }: { diagnostics: readonly Diagnostic[]; withNode?: boolean }) {
  if (diagnostics.length === 0) return null;
  return (
    <ul className="diag-list" data-testid="inspector-problems">
      {diagnostics.map((d, i) => (
        <li key={i} className={`diag diag-${d.severity}`}>
          <code>{d.code}</code>
          <span>
            {withNode && d.node ? <strong>{`${d.node}${d.port ? `.${d.port}` : ''}: `}</strong> : d.port ? <strong>{d.port}: </strong> : null}
            {d.message}
          </span>
        </li>
      ))}
    </ul>
  );
}

function PortTable({ title, ports }: { title: string; ports: readonly PortView[] }) {
  if (ports.length === 0) return null;
  return (
    <div className="port-table">
      <div className="port-table-title">{title}</div>
      {ports.map((p) => (
        <div key={p.name} className={`port-row${p.problem ? ` port-${p.problem}` : ''}`} title={p.doc}>
          <i className={`legend-dot type-${p.type}`} />
          <span className="port-row-name">
            {p.name}
            {p.optional ? <span className="muted"> (optional)</span> : null}
          </span>
          <span className="port-row-shape">{p.shape ?? (p.connected || !p.optional ? '—' : 'unused')}</span>
        </div>
      ))}
    </div>
  );
}

function ParamForm({ node, def, scope }: { node: GraphNode; def: NodeDefinition; scope: string | undefined }) {
  const all = paramsOf(def);
  if (all.length === 0) return <p className="muted">This node has no parameters.</p>;
  const params = node.params as Record<string, unknown>;
  const descriptions = shownParams(node.kind, params, all);
  const commit = (name: string, value: unknown, group?: string) =>
    getEditor().edit(setParams(node.id, { [name]: value }, scope), `Set ${humanize(name).toLowerCase()}`, group ? { group: `${scope ?? ''}:${node.id}:${group}` } : {});
  const issue = (name: string) => (value: unknown) => paramIssue(def, params, name, value);

  return (
    <div className="param-form">
      {descriptions.map((desc) => {
        const label = humanize(desc.name);
        const testId = `param-${desc.name}`;
        const value = params[desc.name] ?? desc.default;
        const hint = paramHint(desc);
        switch (desc.type) {
          case 'integer':
          case 'number':
            return (
              <NumberField
                key={desc.name}
                label={label}
                testId={testId}
                value={typeof value === 'number' ? value : undefined}
                integer={desc.type === 'integer'}
                optional={desc.optional && desc.default === undefined}
                min={desc.minimum}
                max={desc.maximum}
                hint={hint}
                validate={issue(desc.name)}
                commit={(v, group) => commit(desc.name, v, group)}
              />
            );
          case 'enum':
            return (
              <SelectField
                key={desc.name}
                label={label}
                testId={testId}
                value={value === undefined ? undefined : String(value)}
                options={(desc.options ?? []).map((o) => ({ value: String(o) }))}
                hint={desc.default !== undefined ? `default ${String(desc.default)}` : undefined}
                commit={(v) => commit(desc.name, desc.options?.find((o) => String(o) === v) ?? v)}
              />
            );
          case 'boolean':
            return <CheckField key={desc.name} label={label} testId={testId} value={value === true} hint={hint} commit={(v) => commit(desc.name, v)} />;
          case 'array':
            return (
              <IntListField
                key={desc.name}
                label={label}
                testId={testId}
                value={value}
                hint={hint}
                validate={(v) => issue(desc.name)(desc.optional && v.length === 0 && desc.default === undefined ? undefined : v)}
                commit={(v) => commit(desc.name, desc.optional && v.length === 0 && desc.default === undefined ? undefined : v)}
              />
            );
          case 'string':
            return (
              <TextField
                key={desc.name}
                label={label}
                testId={testId}
                value={value === undefined ? '' : String(value)}
                hint={hint}
                validate={issue(desc.name)}
                commit={(v) => commit(desc.name, v)}
              />
            );
          default:
            return (
              <TextField
                key={desc.name}
                label={`${label} (JSON)`}
                testId={testId}
                value={value === undefined ? '' : JSON.stringify(value)}
                validate={(text) => {
                  try {
                    return issue(desc.name)(text.trim() === '' ? undefined : JSON.parse(text));
                  } catch {
                    return 'Not valid JSON.';
                  }
                }}
                commit={(text) => commit(desc.name, text.trim() === '' ? undefined : JSON.parse(text))}
              />
            );
        }
      })}
      {descriptions.length < all.length ? (
        <p className="muted" data-testid="params-hidden">
          {`${all.length - descriptions.length} params of other datasets are hidden; their values are kept.`}
        </p>
      ) : null}
    </div>
  );
}

/** The module with that id in the document, its index and how many instances place it. */
function useModule(moduleId: string) {
  const document = useEditor((s) => s.document);
  const index = document.modules.findIndex((m) => m.id === moduleId);
  return { index, mod: document.modules[index], shared: instanceCounts(document).get(moduleId) ?? 0 };
}

function ModuleNameField({ index, name }: { index: number; name: string }) {
  return (
    <TextField
      label="Module name"
      testId="module-name"
      value={name}
      validate={(t) => (t.trim() === '' ? 'A module needs a name.' : t.length > 200 ? 'At most 200 characters.' : undefined)}
      commit={(t) =>
        getEditor().edit((doc) => {
          doc.modules[index]!.name = t.trim();
        }, 'Rename module')
      }
    />
  );
}

/** A panel's heading: the title, the id under it and an optional pill. */
function PanelHead({ title, id, children }: { title: string; id: string; children?: ReactNode }) {
  return (
    <header className="inspector-head">
      <div>
        <h2>{title}</h2>
        <div className="muted mono">{id}</div>
      </div>
      {children}
    </header>
  );
}

function ModuleSection({ moduleId }: { moduleId: string }) {
  const commands = useCanvasCommands();
  const { index, mod, shared } = useModule(moduleId);
  if (!mod) return <p className="muted">The module “{moduleId}” is not defined in this document.</p>;
  return (
    <section className="inspector-section">
      <h3>Module</h3>
      <p className="muted">
        {shared > 1 ? `Placed ${shared} times; all instances share its weights.` : 'Placed once.'} Double-click the node to edit its body.
      </p>
      <ModuleNameField index={index} name={mod.name} />
      <div className="button-row">
        <button type="button" data-testid="inspector-open-module" onClick={() => commands.openModule(moduleId)}>
          Open module
        </button>
        <button type="button" data-testid="inspector-ungroup" onClick={() => commands.ungroup()} disabled={!commands.canUngroup()}>
          Ungroup
        </button>
      </div>
    </section>
  );
}

function NodePanel({ nodeId }: { nodeId: string }) {
  const document = useEditor((s) => s.document);
  const analysis = useEditor((s) => s.analysis);
  const scope = useEditor((s) => s.scope);
  const commands = useCanvasCommands();
  const node = levelOf(document, scope).nodes.find((n) => n.id === nodeId);
  const view = useMemo(() => toNodeViews(document, analysis, scope).find((v) => v.id === nodeId), [document, analysis, scope, nodeId]);
  if (!node || !view) return null;
  const def = getNodeDefinition(node.kind);
  return (
    <div className="inspector-node" data-testid="inspector-node">
      <PanelHead title={view.title} id={node.id}>
        {view.paramCount > 0 ? (
          <span className="pill" title={`${view.paramCount.toLocaleString('en-US')} trainable parameters`}>
            {formatCount(view.paramCount)} params
          </span>
        ) : null}
      </PanelHead>
      {def ? <p className="inspector-description">{def.description}</p> : <p className="field-error">Unknown node kind “{node.kind}”.</p>}
      <DiagnosticList diagnostics={view.diagnostics} />
      <TextField
        label="Label"
        testId="node-label"
        value={node.label ?? ''}
        placeholder={view.title}
        validate={(t) => (t.length > 200 ? 'At most 200 characters.' : undefined)}
        commit={(t) => getEditor().edit(setLabel(node.id, t.trim() || undefined, scope), 'Set label')}
      />
      <PortTable title="Inputs" ports={view.inputs} />
      <PortTable title="Outputs" ports={view.outputs} />
      {view.module ? <ModuleSection moduleId={view.module.id} /> : null}
      {node.kind === 'Data' ? <UserFileField node={node} scope={scope} /> : null}
      {def && node.kind !== 'Module' ? (
        <section className="inspector-section">
          <h3>Parameters</h3>
          <ParamForm key={node.id} node={node} def={def} scope={scope} />
        </section>
      ) : null}
      <div className="button-row">
        {view.expandable ? (
          <button type="button" data-testid="inspector-expand" onClick={() => commands.expand(node.id)}>
            Expand into primitives
          </button>
        ) : null}
        <button type="button" className="danger" data-testid="inspector-delete" onClick={() => commands.deleteSelection()}>
          Delete
        </button>
      </div>
    </div>
  );
}

function SelectionPanel({ count }: { count: number }) {
  const commands = useCanvasCommands();
  const scope = useEditor((s) => s.scope);
  return (
    <div className="inspector-node">
      <header className="inspector-head">
        <h2>{count} nodes selected</h2>
      </header>
      <p className="muted">Drag them together, copy them (Ctrl+C), or group them into a module whose weights its instances share.</p>
      <div className="button-row">
        <button type="button" data-testid="inspector-group" onClick={() => commands.group()} disabled={scope !== undefined}>
          Group into module
        </button>
        <button type="button" onClick={() => commands.duplicate()}>
          Duplicate
        </button>
        <button type="button" className="danger" onClick={() => commands.deleteSelection()}>
          Delete
        </button>
      </div>
    </div>
  );
}

/** Inside a module with nothing selected: the module itself. */
function ModuleBodyPanel({ moduleId }: { moduleId: string }) {
  const analysis = useEditor((s) => s.analysis);
  const { index, mod, shared } = useModule(moduleId);
  if (!mod) return null;
  const problems = analysis.diagnostics.filter((d) => d.module === moduleId);
  return (
    <div className="inspector-node" data-testid="inspector-module">
      <PanelHead title={mod.name} id={mod.id}>
        <span className="pill">{shared === 1 ? '1 instance' : `${shared} instances`}</span>
      </PanelHead>
      <p className="inspector-description">
        A module's body: its Module input and Module output nodes are the ports of every instance, and {shared > 1 ? 'all instances share its weights, so an edit here changes each of them.' : 'its weights are shared by every instance placed.'}
      </p>
      <DiagnosticList diagnostics={problems} withNode />
      <ModuleNameField index={index} name={mod.name} />
      <TextField
        label="Description"
        testId="module-description"
        value={mod.description}
        multiline
        commit={(t) =>
          getEditor().edit((doc) => {
            doc.modules[index]!.description = t;
          }, 'Describe module')
        }
      />
      <div className="button-row">
        <button type="button" data-testid="inspector-leave-module" onClick={() => getEditor().openScope(undefined)}>
          Back to the graph
        </button>
      </div>
    </div>
  );
}

export function Inspector() {
  const selection = useEditor((s) => s.selection);
  const scope = useEditor((s) => s.scope);
  // Once a run has something to show, the dock's tabs lead back to its charts (the panel, when open, has its own).
  const showTabs = useTraining((s) => !s.panelOpen && (s.state.status !== 'idle' || s.losses.steps.length > 0));
  return (
    <aside className="inspector" aria-label="Inspector" data-testid="inspector">
      {showTabs ? <DockTabs active="inspector" /> : null}
      {selection.length === 1 ? (
        <NodePanel nodeId={selection[0]!} />
      ) : selection.length > 1 ? (
        <SelectionPanel count={selection.length} />
      ) : scope !== undefined ? (
        <ModuleBodyPanel moduleId={scope} />
      ) : (
        <DocumentPanel />
      )}
    </aside>
  );
}
