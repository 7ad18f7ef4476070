/** The editor's keyboard shortcuts (listed in help/shortcuts.ts). */
import { useEffect } from 'react';
import { getEditor } from '../store/editor-store.ts';
import type { CanvasCommands } from './commands.ts';

/** Typing in a field must not delete nodes or undo the document. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function useShortcuts(commands: CanvasCommands, toggleHelp: () => void, blocked: boolean): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (blocked || e.defaultPrevented || typingIn(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      let handled = true;
      if (mod && key === 'z' && !e.shiftKey) commands.undo();
      else if (mod && ((key === 'z' && e.shiftKey) || key === 'y')) commands.redo();
      else if (mod && key === 'c') handled = commands.copy();
      else if (mod && key === 'v') commands.paste();
      else if (mod && key === 'd') commands.duplicate();
      else if (mod && key === 'a') commands.selectAll();
      else if (mod && key === 'g' && e.shiftKey) commands.ungroup();
      else if (mod && key === 'g') commands.group();
      else if (mod || e.altKey) handled = false;
      else if (e.key === 'Delete' || e.key === 'Backspace') commands.deleteSelection();
      else if (e.key === '?') toggleHelp();
      else if (e.key === 'L' && e.shiftKey) void commands.layout();
      else if (key === 'f' && !e.shiftKey) commands.fit();
      else if (e.key === 'Escape') {
        const { selection, edgeSelection, scope } = getEditor();
        if (selection.length > 0 || edgeSelection.length > 0) {
          getEditor().select([]);
          getEditor().selectEdges([]);
        } else if (scope !== undefined) getEditor().openScope(undefined);
        else handled = false;
      } else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [commands, toggleHelp, blocked]);
}
