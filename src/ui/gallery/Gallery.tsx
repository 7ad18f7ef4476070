import { useEffect, useMemo, useRef } from 'react';
import { useFocusTrap } from '../focus-trap.ts';
import { emptyDocument } from '../../core/graph/schema.ts';
import { notify } from '../notices.ts';
import { renderGraphPicture } from '../sharing/graph-picture.ts';
import { openDecoded } from '../sharing/open-file.ts';
import { getEditor } from '../store/editor-store.ts';
import { FAMILY_NAMES, PRESETS, type Preset } from './presets.ts';
import './gallery.css';

const THUMB_WIDTH = 320;
const THUMB_HEIGHT = 168;
const thumbnails = new Map<string, string>();

/** A picture of the preset's graph, drawn once per session. */
function thumbnail(preset: Preset): string {
  let url = thumbnails.get(preset.id);
  if (url === undefined) {
    const canvas = renderGraphPicture(preset.document, { width: THUMB_WIDTH * 2, height: THUMB_HEIGHT * 2, detail: false, scale: 1 });
    url = canvas.toDataURL('image/png');
    thumbnails.set(preset.id, url);
  }
  return url;
}

function PresetCard({ preset, onOpen }: { preset: Preset; onOpen: () => void }) {
  const src = useMemo(() => thumbnail(preset), [preset]);
  const { meta } = preset.document;
  return (
    <button type="button" className="gallery-card" data-testid={`gallery-card-${preset.id}`} onClick={onOpen}>
      <img className="gallery-thumb" src={src} alt={`The graph of ${meta.name}`} width={THUMB_WIDTH} height={THUMB_HEIGHT} />
      <span className="gallery-card-body">
        <span className="gallery-card-head">
          <span className="gallery-card-name">{meta.name}</span>
          <span className={`gallery-family gallery-family-${meta.family}`}>{FAMILY_NAMES[meta.family]}</span>
        </span>
        <span className="gallery-card-summary">{preset.summary}</span>
      </span>
    </button>
  );
}

/** Presets to start from: each opens as an editable graph. */
export function Gallery({ open, onClose }: { open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDivElement>(null);
  useFocusTrap(dialog, open);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open, onClose]);

  if (!open) return null;

  const openPreset = (preset: Preset) => {
    openDecoded({ ok: true, document: preset.document }, 'the gallery', { undoable: true });
    onClose();
  };
  const openEmpty = () => {
    getEditor().replaceDocument(emptyDocument(), { keepHistory: true });
    notify('info', 'Started an empty graph: drag nodes from the palette onto the canvas.');
    onClose();
  };

  return (
    <div className="gallery-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="gallery" role="dialog" aria-modal="true" aria-labelledby="gallery-title" data-testid="gallery" ref={dialog} tabIndex={-1}>
        <header className="gallery-header">
          <div>
            <h2 id="gallery-title">Start from a model</h2>
            <p>Each preset is a complete graph you can change, check and train. Your current graph stays one Undo away.</p>
          </div>
          <button type="button" className="gallery-close" data-testid="gallery-close" aria-label="Close the gallery" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="gallery-grid">
          {PRESETS.map((preset) => (
            <PresetCard key={preset.id} preset={preset} onOpen={() => openPreset(preset)} />
          ))}
        </div>
        <footer className="gallery-footer">
          <button type="button" className="gallery-empty" data-testid="gallery-empty" onClick={openEmpty}>
            Start with an empty graph
          </button>
          <span>Graphs also open from a file (Share ▸ Open file…), a dropped file or a link.</span>
        </footer>
      </div>
    </div>
  );
}
