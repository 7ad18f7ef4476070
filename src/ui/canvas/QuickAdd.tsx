/**
 * A search box at the cursor to add a node there: double-click on the canvas,
 * or drop a wire on it (then only kinds with a port of the wire's type are
 * listed, and the new node is wired to it).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { CATEGORY_TITLES } from '../../core/nodes/types.ts';
import { catalogItems, searchCatalog, type CatalogItem } from '../palette/catalog.ts';
import { useEditor } from '../store/editor-store.ts';

const SHOWN = 8;

const BOX = { width: 260, height: 290 };

/** `x`, `y`: the pointer in the canvas; `bounds`: the canvas size, to keep the box inside it. */
export function QuickAdd({
  x,
  y,
  bounds,
  onPick,
  onClose,
  accepts,
  hint,
}: {
  x: number;
  y: number;
  bounds: { width: number; height: number };
  onPick: (item: CatalogItem) => void;
  onClose: () => void;
  /** Only kinds this accepts are listed (a dropped wire's type). */
  accepts?: (item: CatalogItem) => boolean;
  /** Said above the box, e.g. what the new node will be wired to. */
  hint?: string;
}) {
  const document = useEditor((s) => s.document);
  const scope = useEditor((s) => s.scope);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const items = useMemo(() => catalogItems(document, scope).filter((item) => accepts?.(item) ?? true), [document, scope, accepts]);
  const found = useMemo(() => searchCatalog(items, query).slice(0, SHOWN), [items, query]);

  useEffect(() => input.current?.focus(), []);
  useEffect(() => setActive(0), [query]);

  return (
    <div
      className="quick-add"
      data-testid="quick-add"
      style={{ left: Math.max(8, Math.min(x, bounds.width - BOX.width - 8)), top: Math.max(8, y + BOX.height > bounds.height ? y - BOX.height : y) }}
      onDoubleClick={(e) => e.stopPropagation()}
    >
      {hint ? (
        <p className="quick-add-hint" data-testid="quick-add-hint">
          {hint}
        </p>
      ) : null}
      <input
        ref={input}
        value={query}
        placeholder="Add a node…"
        aria-label="Search node kinds"
        data-testid="quick-add-search"
        onChange={(e) => setQuery(e.target.value)}
        onBlur={(e) => {
          // Clicking an item blurs the input first; close only when focus leaves the box.
          if (!e.currentTarget.parentElement?.contains(e.relatedTarget as Node | null)) setTimeout(onClose, 120);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          else if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, found.length - 1));
          else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          else if (e.key === 'Enter' && found[active]) onPick(found[active]);
          else return;
          e.preventDefault();
        }}
      />
      <ul role="listbox">
        {found.map((item, i) => (
          <li
            key={item.key}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : ''}
            data-testid={`quick-add-${item.key.replace(':', '-')}`}
            onMouseEnter={() => setActive(i)}
            onMouseDown={(e) => {
              e.preventDefault();
              onPick(item);
            }}
          >
            <span>{item.title}</span>
            <span className="muted">{CATEGORY_TITLES[item.category]}</span>
          </li>
        ))}
        {found.length === 0 ? <li className="muted empty">No node kind matches.</li> : null}
      </ul>
    </div>
  );
}
