import { useEffect, useRef, useState } from 'react';
import { isGraphHash } from '../../core/graph/share.ts';
import { notify } from '../notices.ts';
import { getEditor } from '../store/editor-store.ts';
import { downloadJson, downloadPng } from './downloads.ts';
import { downloadOnnxModels, downloadPytorchProject } from './export-actions.ts';
import { openFromLocation, writeLink } from './link.ts';
import { openGraphFile } from './open-file.ts';
import { registerTestHooks } from './test-hooks.ts';
import './sharing.css';

registerTestHooks();

async function copyLink() {
  const written = writeLink(getEditor().document);
  if (!written.ok) {
    notify('error', written.error.message);
    return;
  }
  const chars = written.url.length.toLocaleString('en-US');
  try {
    await navigator.clipboard.writeText(written.url);
    notify('info', `Link copied (${chars} characters). Whoever opens it sees this graph as it is now.`);
  } catch {
    notify('info', `The link (${chars} characters) is in the address bar: copy it from there.`);
  }
}

/** The toolbar's Share menu: files, pictures and links, and the graph exported as code. */
export function ShareMenu() {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  // A graph link pasted into the address bar of an open tab.
  useEffect(() => {
    const onHash = () => {
      if (isGraphHash(location.hash)) openFromLocation({ undoable: true });
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const run = (action: () => unknown) => () => {
    setOpen(false);
    Promise.resolve()
      .then(action)
      .catch((error: unknown) => notify('error', error instanceof Error ? error.message : String(error)));
  };

  return (
    <div className="share-menu" ref={root}>
      <button
        type="button"
        className="share-button"
        data-testid="share-menu"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        Share <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div className="share-dropdown" role="menu">
          <button type="button" role="menuitem" data-testid="share-copy-link" onClick={run(copyLink)}>
            <span className="share-item-title">Copy link</span>
            <span className="share-item-note">The graph travels inside the link</span>
          </button>
          <button type="button" role="menuitem" data-testid="share-download-json" onClick={run(() => downloadJson(getEditor().document))}>
            <span className="share-item-title">Download JSON</span>
            <span className="share-item-note">The graph file, to keep or send</span>
          </button>
          <button type="button" role="menuitem" data-testid="share-download-png" onClick={run(() => downloadPng(getEditor().document))}>
            <span className="share-item-title">Download PNG</span>
            <span className="share-item-note">A picture that opens as the graph</span>
          </button>
          <div className="share-separator" role="separator" />
          <div className="share-section" role="presentation">
            Export
          </div>
          <button type="button" role="menuitem" data-testid="share-export-pytorch" onClick={run(() => downloadPytorchProject())}>
            <span className="share-item-title">PyTorch project (.zip)</span>
            <span className="share-item-note">model.py, train.py and the current weights</span>
          </button>
          <button
            type="button"
            role="menuitem"
            data-testid="share-export-onnx"
            title="Every network the graph's samplers run, traced at batch 1, with onnx.json describing them (gencomposer export --to onnx --batch N for another batch)"
            onClick={run(() => downloadOnnxModels())}
          >
            <span className="share-item-title">ONNX models (.zip)</span>
            <span className="share-item-note">Each sampler's networks, with the current weights</span>
          </button>
          <div className="share-separator" role="separator" />
          <button
            type="button"
            role="menuitem"
            data-testid="share-open-file"
            onClick={() => {
              setOpen(false);
              fileInput.current?.click();
            }}
          >
            <span className="share-item-title">Open file…</span>
            <span className="share-item-note">A .json graph or a GenComposer PNG</span>
          </button>
        </div>
      )}
      <input
        ref={fileInput}
        type="file"
        accept=".json,application/json,.png,image/png"
        hidden
        data-testid="share-file-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          setOpen(false);
          if (file) void openGraphFile(file);
        }}
      />
    </div>
  );
}
