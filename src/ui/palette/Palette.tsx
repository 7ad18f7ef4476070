/**
 * The node kinds, grouped and searchable; drag one onto the canvas (or
 * double-click it) to add it. By keyboard: Tab to the search, ↓ into the
 * list, ↑/↓ between kinds, Enter adds the focused kind (Enter in the search
 * adds the first match).
 */
import { useMemo, useRef, useState } from 'react';
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
  const list = useRef<HTMLDivElement>(null);

  /** The visible items in order, and moving focus among them. */
  const focusItem = (from: Element | null, step: number) => {
    const items = [...(list.current?.querySelectorAll<HTMLElement>('.palette-item') ?? [])];
    const at = from ? items.indexOf(from as HTMLElement) : -1;
    const next = items[Math.max(0, Math.min(items.length - 1, at + step))];
    next?.focus();
  };

  return (
    <aside className="palette" aria-label="Node palette">
      <div className="palette-search">
        <input
          type="search"
          placeholder="Search nodes"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') focusItem(null, 1);
            else if (e.key === 'Enter' && searching && groups[0]?.items[0]) commands.add(groups[0].items[0]);
            else return;
            e.preventDefault();
          }}
          data-testid="palette-search"
          aria-label="Search nodes"
        />
      </div>
      <div className="palette-groups" ref={list}>
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
                      tabIndex={0}
                      role="button"
                      title={`${item.description}\nDrag onto the canvas, double-click or press Enter to add.`}
                      data-testid={`palette-item-${item.key.replace(':', '-')}`}
                      onDragStart={(e) => {
                        e.dataTransfer.setData(DRAG_MIME, JSON.stringify({ kind: item.kind, params: item.params }));
                        e.dataTransfer.effectAllowed = 'move';
                      }}
                      onDoubleClick={() => commands.add(item)}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') commands.add(item);
                        else if (e.key === 'ArrowDown') focusItem(e.currentTarget, 1);
                        else if (e.key === 'ArrowUp') focusItem(e.currentTarget, -1);
                        else return;
                        e.preventDefault();
                      }}
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
