/** Every problem of the analysis; clicking one shows its node (opening its module when it is inside one). */
import { useState } from 'react';
import type { Diagnostic } from '../../core/base/diagnostics.ts';
import { formatCount } from '../canvas/to-flow.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';

function place(d: Diagnostic, moduleNames: Map<string, string>): string {
  if (d.node !== undefined) {
    const inside = d.module !== undefined ? `${moduleNames.get(d.module) ?? d.module} › ` : '';
    return `${inside}${d.node}${d.port !== undefined ? `.${d.port}` : ''}`;
  }
  if (d.module !== undefined) return moduleNames.get(d.module) ?? d.module;
  return d.path ?? 'graph';
}

export function ProblemsPanel() {
  const analysis = useEditor((s) => s.analysis);
  const document = useEditor((s) => s.document);
  const [open, setOpen] = useState(true);
  const diagnostics = analysis.diagnostics;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const moduleNames = new Map(document.modules.map((m) => [m.id, m.name]));
  const memoryMB = analysis.memoryBytes / (1024 * 1024);

  const show = (d: Diagnostic) => {
    if (d.node !== undefined) getEditor().focusNode(d.node, d.module);
    else if (d.module !== undefined) getEditor().openScope(d.module);
    else {
      // Training settings and the graph as a whole: the document panel shows them.
      getEditor().openScope(undefined);
      getEditor().select([]);
    }
  };

  return (
    <section className={`problems${open ? '' : ' closed'}`} data-testid="problems" aria-label="Problems">
      <header className="problems-head">
        <button type="button" className="problems-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          <span className={`chevron${open ? ' open' : ''}`}>›</span>
          Problems
        </button>
        <span className={`count-badge${errors ? ' has-errors' : ''}`} data-testid="problems-errors">
          {errors} error{errors === 1 ? '' : 's'}
        </span>
        <span className={`count-badge${warnings ? ' has-warnings' : ''}`}>
          {warnings} warning{warnings === 1 ? '' : 's'}
        </span>
        <span className="problems-stats muted">
          {document.nodes.length} nodes · {formatCount(analysis.parameterCount)} parameters · ~{memoryMB < 10 ? memoryMB.toFixed(1) : Math.round(memoryMB)} MB at batch {document.training.batchSize}
        </span>
      </header>
      {open ? (
        <ul className="problems-list">
          {diagnostics.length === 0 ? <li className="muted problems-none">No problems: every port has a shape.</li> : null}
          {diagnostics.map((d, i) => (
            <li key={i}>
              <button type="button" className={`problem problem-${d.severity}`} data-testid="problem" onClick={() => show(d)} title="Show where">
                <span className={`sev sev-${d.severity}`} aria-label={d.severity} />
                <code>{d.code}</code>
                <span className="problem-message">{d.message}</span>
                <span className="problem-place mono">{place(d, moduleNames)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
