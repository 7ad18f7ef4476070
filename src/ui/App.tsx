import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Canvas } from './canvas/Canvas.tsx';
import { useCanvasCommands, type CanvasCommands } from './canvas/commands.ts';
import { useShortcuts } from './canvas/use-shortcuts.ts';
import { Gallery } from './gallery/Gallery.tsx';
import { HelpPanel } from './help/HelpPanel.tsx';
import { Inspector } from './inspector/Inspector.tsx';
import { Notices } from './Notices.tsx';
import { notify } from './notices.ts';
import { Palette } from './palette/Palette.tsx';
import { startAutosave, restoreAutosaved } from './persistence/autosave.ts';
import { ProblemsPanel } from './problems/ProblemsPanel.tsx';
import { documentFromLocation } from './sharing/link.ts';
import { ShareMenu } from './sharing/ShareMenu.tsx';
import { getEditor, useEditor } from './store/editor-store.ts';
import { installTraining } from './training/training-client.ts';
import { TrainingControls } from './training/TrainingControls.tsx';
import { TrainingPanel } from './training/TrainingPanel.tsx';
import { useTraining } from './training/training-store.ts';

/** What the app opens with: a shared link, else the autosaved graph, else nothing (first visit). */
async function restore(): Promise<'link' | 'autosave' | 'none'> {
  const linked = documentFromLocation();
  if (linked && !('error' in linked)) {
    getEditor().replaceDocument(linked);
    notify('info', `Opened “${linked.meta.name}” from the link.`);
    return 'link';
  }
  if (linked) notify('error', `The link in the address could not be opened: ${linked.error}`);
  return (await restoreAutosaved()) ? 'autosave' : 'none';
}

let started: Promise<'link' | 'autosave' | 'none'> | undefined;

function ToolButton(props: { testId: string; title: string; onClick: () => void; disabled?: boolean; children: React.ReactNode; pressed?: boolean }) {
  return (
    <button
      type="button"
      className="tool"
      data-testid={props.testId}
      title={props.title}
      aria-label={props.title}
      aria-pressed={props.pressed}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

function Toolbar({ commands, onHelp, onGallery, helpOpen }: { commands: CanvasCommands; onHelp: () => void; onGallery: () => void; helpOpen: boolean }) {
  const past = useEditor((s) => s.past);
  const future = useEditor((s) => s.future);
  const name = useEditor((s) => s.document.meta.name);
  // Re-render when the selection or level changes, for group/ungroup.
  useEditor((s) => s.selection);
  useEditor((s) => s.scope);
  const undoLabel = past.at(-1)?.label;
  const redoLabel = future.at(-1)?.label;
  return (
    <header className="toolbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        GenComposer
      </div>
      <span className="doc-name" title={name}>
        {name}
      </span>
      <div className="tool-group">
        <ToolButton testId="toolbar-undo" title={undoLabel ? `Undo ${undoLabel.toLowerCase()} (Ctrl+Z)` : 'Undo (Ctrl+Z)'} onClick={commands.undo} disabled={!undoLabel}>
          ↶ Undo
        </ToolButton>
        <ToolButton testId="toolbar-redo" title={redoLabel ? `Redo ${redoLabel.toLowerCase()} (Ctrl+Shift+Z)` : 'Redo (Ctrl+Shift+Z)'} onClick={commands.redo} disabled={!redoLabel}>
          ↷ Redo
        </ToolButton>
      </div>
      <div className="tool-group">
        <ToolButton testId="toolbar-layout" title="Lay out automatically, left to right (Shift+L)" onClick={() => void commands.layout()}>
          Layout
        </ToolButton>
        <ToolButton testId="toolbar-fit" title="Fit the graph in view (F)" onClick={commands.fit}>
          Fit
        </ToolButton>
      </div>
      <div className="tool-group">
        <ToolButton testId="toolbar-group" title="Group the selection into a module (Ctrl+G)" onClick={commands.group} disabled={!commands.canGroup()}>
          Group
        </ToolButton>
        <ToolButton testId="toolbar-ungroup" title="Ungroup the selected module instance (Ctrl+Shift+G)" onClick={commands.ungroup} disabled={!commands.canUngroup()}>
          Ungroup
        </ToolButton>
      </div>
      <TrainingControls />
      <div className="toolbar-spacer" />
      <ToolButton testId="toolbar-gallery" title="Open an example model" onClick={onGallery}>
        Gallery
      </ToolButton>
      <ShareMenu />
      <ToolButton testId="toolbar-help" title="Keyboard shortcuts (?)" onClick={onHelp} pressed={helpOpen}>
        ?
      </ToolButton>
    </header>
  );
}

function Editor() {
  const commands = useCanvasCommands();
  const [galleryOpen, setGalleryOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const toggleHelp = useCallback(() => setHelpOpen((o) => !o), []);
  const closeHelp = useCallback(() => setHelpOpen(false), []);
  const closeGallery = useCallback(() => setGalleryOpen(false), []);
  // Dialogs take the keyboard while they are open.
  useShortcuts(commands, toggleHelp, galleryOpen || helpOpen);

  useEffect(() => {
    installTraining();
    started ??= restore().finally(() => startAutosave());
    let live = true;
    void started.then((from) => {
      if (live && from === 'none') setGalleryOpen(true);
    });
    return () => {
      live = false;
    };
  }, []);

  // Any graph opened elsewhere (a dropped file, a link, a test) closes the gallery.
  const generation = useEditor((s) => s.generation);
  const firstGeneration = useRef(generation);
  useEffect(() => {
    if (generation !== firstGeneration.current) setGalleryOpen(false);
  }, [generation]);

  return (
    <div className="app">
      <Toolbar commands={commands} onHelp={toggleHelp} onGallery={() => setGalleryOpen(true)} helpOpen={helpOpen} />
      <Workspace>
        <Palette />
        <main className="centre">
          <Canvas />
          <ProblemsPanel />
        </main>
        <TrainingPanel />
        <Inspector />
      </Workspace>
      <Gallery open={galleryOpen} onClose={closeGallery} />
      <HelpPanel open={helpOpen} onClose={closeHelp} />
      <Notices />
    </div>
  );
}

/**
 * The panes' row. It alone follows whether the training panel is open: the
 * panes it holds are elements made by the editor, so opening the panel
 * re-renders none of them (the palette's hundred items and the canvas cost
 * tens of milliseconds of the main thread each time in a dev build).
 */
function Workspace({ children }: { children: React.ReactNode }) {
  const trainingOpen = useTraining((s) => s.panelOpen);
  return <div className={trainingOpen ? 'workspace with-training' : 'workspace'}>{children}</div>;
}

/** The editor: toolbar, palette, canvas with its problems, inspector. */
export function App() {
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}
