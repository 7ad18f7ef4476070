/**
 * The canvas's context menu (right-click): on a node, an edge or the empty
 * canvas, the commands that apply there. Keyboard: ↑/↓ between items, Enter
 * runs one, Escape closes.
 */
import { useEffect, useRef } from 'react';

export interface MenuItem {
  label: string;
  /** Shown dimmed, for the same command's key. */
  keys?: string;
  run: () => void;
  disabled?: boolean;
  testId: string;
}

export function ContextMenu({ x, y, bounds, items, onClose }: { x: number; y: number; bounds: { width: number; height: number }; items: readonly MenuItem[]; onClose: () => void }) {
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    menu.current?.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
    const away = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('pointerdown', away, true);
    return () => document.removeEventListener('pointerdown', away, true);
  }, [onClose]);
  const height = items.length * 30 + 8;
  const move = (from: HTMLElement, step: number) => {
    const buttons = [...(menu.current?.querySelectorAll<HTMLButtonElement>('button:not([disabled])') ?? [])];
    const at = buttons.indexOf(from as HTMLButtonElement);
    buttons[(at + step + buttons.length) % buttons.length]?.focus();
  };
  return (
    <div
      ref={menu}
      className="context-menu"
      role="menu"
      data-testid="context-menu"
      style={{ left: Math.max(4, Math.min(x, bounds.width - 220)), top: Math.max(4, Math.min(y, bounds.height - height - 4)) }}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
        else if (e.key === 'ArrowDown') move(e.target as HTMLElement, 1);
        else if (e.key === 'ArrowUp') move(e.target as HTMLElement, -1);
        else return;
        e.preventDefault();
        e.stopPropagation();
      }}
    >
      {items.map((item) => (
        <button
          key={item.testId}
          type="button"
          role="menuitem"
          disabled={item.disabled}
          data-testid={`menu-${item.testId}`}
          onClick={() => {
            onClose();
            item.run();
          }}
        >
          <span>{item.label}</span>
          {item.keys ? <span className="muted">{item.keys}</span> : null}
        </button>
      ))}
    </div>
  );
}
