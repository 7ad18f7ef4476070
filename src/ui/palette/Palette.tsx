/** The node kinds, grouped and searchable; drag one onto the canvas (or double-click it) to add it. */
import { useMemo, useState } from 'react';
import { useCanvasCommands } from '../canvas/commands.ts';
import { useEditor } from '../store/editor-store.ts';
import { catalogItems, DRAG_MIME, groupCatalog, searchCatalog } from './catalog.ts';

export function Palette() {
  const document = useEditor((s) => s.document);
  const scope = useEditor((s) => s.scope);
  const commands = useCanvasCommands();
  const [query, setQuery] = useState('');
  const [closed, setClosed] = useState<Set<string>>(new Set());
  const items = useMemo(() => catalogItems(document, scope), [document, scope]);
  const groups = useMemo(() => groupCatalog(searchCatalog(items, query)), [items, query]);
  const searching = query.trim() !== '';

  return (
    <aside className="palette" aria-label="Node palette">
      <div className="palette-search">
        <input type="search" placeholder="Search nodes" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="palette-search" aria-label="Search nodes" />
      </div>
      <div className="palette-groups">
        {groups.map((group) => {
          const open = searching || !closed.has(group.category);
          return (
            <section key={group.category} className="palette-group">
              <button
                type="button"
                className="palette-group-title"
                aria-expanded={open}
                onClick={() =>
                  setClosed((c) => {
                    const next = new Set(c);
                    if (next.has(group.category)) next.delete(group.category);
                    else next.add(group.category);
                    return next;
                  })
                }
              >
                <span className={`chevron${open ? ' open' : ''}`}>›</span>
                {group.title}
                <span className="count">{group.items.length}</span>
              </button>
              {open ? (
                <ul>
                  {group.items.map((item) => (
                    <li
                      key={item.key}
                      className={`palette-item cat-${item.category}`}
                      draggable
                      title={`${item.description}\nDrag onto the canvas, or double-click to add.`}
                      data-testid={`palette-item-${item.key.replace(':', '-')}`}
                      onDragStart={(e) => {
                        e.dataTransfer.setData(DRAG_MIME, JSON.stringify({ kind: item.kind, params: item.params }));
                        e.dataTransfer.effectAllowed = 'move';
                      }}
                      onDoubleClick={() => commands.add(item)}
                    >
                      <span className="palette-dot" />
                      {item.title}
                    </li>
                  ))}
                </ul>
              ) : null}
            </section>
          );
        })}
        {groups.length === 0 ? <p className="muted palette-empty">No node kind matches “{query}”.</p> : null}
        {scope === undefined && document.modules.length === 0 && !searching ? (
          <p className="muted palette-note">Select nodes and press Group to make a reusable module.</p>
        ) : null}
      </div>
    </aside>
  );
}
