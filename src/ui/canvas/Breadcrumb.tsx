/** Where the canvas is: the graph, or a module's body, with the way back. */
import { instanceCounts } from './to-flow.ts';
import { getEditor, useEditor } from '../store/editor-store.ts';

export function Breadcrumb() {
  const scope = useEditor((s) => s.scope);
  const document = useEditor((s) => s.document);
  if (scope === undefined) return null;
  const mod = document.modules.find((m) => m.id === scope);
  const shared = instanceCounts(document).get(scope) ?? 0;
  return (
    <nav className="breadcrumb" aria-label="Location" data-testid="breadcrumb">
      <button type="button" className="crumb-link" data-testid="breadcrumb-back" onClick={() => getEditor().openScope(undefined)}>
        {document.meta.name}
      </button>
      <span className="crumb-sep">›</span>
      <span className="crumb-tag">module</span>
      <strong className="crumb-here">{mod?.name ?? scope}</strong>
      {shared > 1 ? <span className="crumb-note">edits apply to all {shared} instances</span> : null}
    </nav>
  );
}
