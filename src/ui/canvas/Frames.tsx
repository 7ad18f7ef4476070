/**
 * The frames of the level shown: named, coloured areas drawn behind the
 * nodes (in React Flow's viewport, so they pan and zoom with the graph).
 * Only the title bar and the corner take the pointer, so the canvas under a
 * frame pans and selects as anywhere else. Dragging the title moves the
 * frame and the nodes in it; the corner resizes it; a double-click on the
 * title renames it.
 */
import { useViewport, ViewportPortal } from '@xyflow/react';
import { useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { GraphFrame } from '../../core/graph/schema.ts';

export type FramePhase = 'start' | 'move' | 'end';

export interface FrameHandlers {
  /** The frame is dragged by its title, `by` flow units from where it started. */
  onMove(frame: GraphFrame, phase: FramePhase, by: { x: number; y: number }): void;
  onResize(frame: GraphFrame, size: { width: number; height: number }): void;
  onRename(frame: GraphFrame, title: string): void;
  onMenu(frame: GraphFrame, event: ReactPointerEvent | React.MouseEvent): void;
}

/** Follows a pointer from a press to its release, in flow units (the zoom divided out). */
function usePointerDrag(zoom: number) {
  const start = useRef<{ x: number; y: number; pointer: number } | undefined>(undefined);
  return {
    begin(event: ReactPointerEvent) {
      if (event.button !== 0) return false;
      event.stopPropagation();
      event.currentTarget.setPointerCapture(event.pointerId);
      start.current = { x: event.clientX, y: event.clientY, pointer: event.pointerId };
      return true;
    },
    offset(event: ReactPointerEvent) {
      const from = start.current;
      if (!from || from.pointer !== event.pointerId) return undefined;
      return { x: (event.clientX - from.x) / zoom, y: (event.clientY - from.y) / zoom };
    },
    end() {
      start.current = undefined;
    },
  };
}

function Frame({ frame, zoom, renaming, setRenaming, handlers }: { frame: GraphFrame; zoom: number; renaming: boolean; setRenaming: (id: string | undefined) => void; handlers: FrameHandlers }) {
  const [moved, setMoved] = useState<{ x: number; y: number } | undefined>(undefined);
  const [resized, setResized] = useState<{ width: number; height: number } | undefined>(undefined);
  const move = usePointerDrag(zoom);
  const resize = usePointerDrag(zoom);
  const x = frame.position.x + (moved?.x ?? 0);
  const y = frame.position.y + (moved?.y ?? 0);
  const size = resized ?? frame.size;
  return (
    <div className={`frame frame-${frame.color}`} data-testid={`frame-${frame.id}`} style={{ transform: `translate(${x}px, ${y}px)`, width: size.width, height: size.height }}>
      <div
        className="frame-title"
        data-testid={`frame-title-${frame.id}`}
        title="Drag to move the frame and the nodes in it; double-click to rename; right-click for its colour"
        onPointerDown={(e) => {
          if (renaming || !move.begin(e)) return;
          handlers.onMove(frame, 'start', { x: 0, y: 0 });
        }}
        onPointerMove={(e) => {
          const by = move.offset(e);
          if (!by) return;
          setMoved(by);
          handlers.onMove(frame, 'move', by);
        }}
        onPointerUp={(e) => {
          const by = move.offset(e);
          move.end();
          setMoved(undefined);
          if (by) handlers.onMove(frame, 'end', by);
        }}
        onDoubleClick={(e) => {
          e.stopPropagation();
          setRenaming(frame.id);
        }}
        onContextMenu={(e) => {
          e.stopPropagation();
          handlers.onMenu(frame, e);
        }}
      >
        {renaming ? (
          <input
            autoFocus
            defaultValue={frame.title}
            aria-label="Frame title"
            data-testid={`frame-rename-${frame.id}`}
            maxLength={200}
            onPointerDown={(e) => e.stopPropagation()}
            onKeyDown={(e) => {
              e.stopPropagation();
              if (e.key === 'Enter') e.currentTarget.blur();
              else if (e.key === 'Escape') {
                e.currentTarget.value = frame.title;
                e.currentTarget.blur();
              }
            }}
            onBlur={(e) => {
              setRenaming(undefined);
              const title = e.currentTarget.value.trim();
              if (title !== frame.title) handlers.onRename(frame, title);
            }}
          />
        ) : (
          <span>{frame.title || 'Frame'}</span>
        )}
      </div>
      <div
        className="frame-corner"
        data-testid={`frame-corner-${frame.id}`}
        title="Drag to resize"
        onPointerDown={(e) => resize.begin(e)}
        onPointerMove={(e) => {
          const by = resize.offset(e);
          if (by) setResized({ width: Math.max(40, frame.size.width + by.x), height: Math.max(40, frame.size.height + by.y) });
        }}
        onPointerUp={(e) => {
          const by = resize.offset(e);
          resize.end();
          setResized(undefined);
          if (by && (by.x !== 0 || by.y !== 0)) handlers.onResize(frame, { width: frame.size.width + by.x, height: frame.size.height + by.y });
        }}
      />
    </div>
  );
}

export function Frames({ frames, renaming, setRenaming, handlers }: { frames: readonly GraphFrame[]; renaming: string | undefined; setRenaming: (id: string | undefined) => void; handlers: FrameHandlers }) {
  const { zoom } = useViewport();
  if (frames.length === 0) return null;
  return (
    <ViewportPortal>
      {frames.map((frame) => (
        <Frame key={frame.id} frame={frame} zoom={zoom} renaming={renaming === frame.id} setRenaming={setRenaming} handlers={handlers} />
      ))}
    </ViewportPortal>
  );
}
