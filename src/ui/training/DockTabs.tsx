/**
 * The right-hand dock's two tabs. The training panel and the inspector take
 * turns there, so that opening the charts leaves the canvas at least half the
 * window (side by side, the two panels left it 488 of 1,400 px). While the
 * graph trains it cannot be edited, which is when the charts are wanted.
 */
import { dispatchTraining } from './training-store.ts';

export function DockTabs({ active }: { active: 'training' | 'inspector' }) {
  const tab = (id: 'training' | 'inspector', label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={active === id}
      className={`dock-tab${active === id ? ' active' : ''}`}
      data-testid={`dock-tab-${id}`}
      onClick={() => dispatchTraining({ type: 'panel', open: id === 'training' })}
    >
      {label}
    </button>
  );
  return (
    <div className="dock-tabs" role="tablist" aria-label="Right panel">
      {tab('training', 'Training')}
      {tab('inspector', 'Inspector')}
    </div>
  );
}
