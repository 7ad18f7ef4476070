/** The keyboard shortcuts and mouse gestures. */
import { useEffect } from 'react';
import { GESTURES, SHORTCUTS } from './shortcuts.ts';

export function HelpPanel({ open, onClose }: { open: boolean; onClose: () => void }) {
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);
  if (!open) return null;
  return (
    <div className="dialog-backdrop" onMouseDown={onClose}>
      <div className="dialog help-panel" role="dialog" aria-label="Keyboard shortcuts" data-testid="help-panel" onMouseDown={(e) => e.stopPropagation()}>
        <div className="dialog-title-row">
          <h2>Keyboard and mouse</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        <div className="help-columns">
          <div>
            <h3>Keys</h3>
            <table className="shortcut-table">
              <tbody>
                {SHORTCUTS.map((s) => (
                  <tr key={s.keys}>
                    <td>
                      {s.keys.split(/\s+or\s+/).map((k, i) => (
                        <span key={k}>
                          {i > 0 ? <span className="muted"> or </span> : null}
                          <kbd>{k}</kbd>
                        </span>
                      ))}
                    </td>
                    <td>{s.what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div>
            <h3>Mouse</h3>
            <table className="shortcut-table">
              <tbody>
                {GESTURES.map((s) => (
                  <tr key={s.keys}>
                    <td className="gesture">{s.keys}</td>
                    <td>{s.what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <p className="muted help-note">On a Mac, use ⌘ where Ctrl is written.</p>
      </div>
    </div>
  );
}
