/**
 * Short messages to the person at the screen: what was opened, what was
 * refused and why. Any part of the UI calls `notify`; <Notices/> shows them.
 */
import { create } from 'zustand';

export type NoticeKind = 'info' | 'error';

export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
}

interface NoticeState {
  notices: Notice[];
}

/** At most this many at once: a burst of errors must not cover the canvas. */
const MAX_SHOWN = 3;
/** How long a notice stays; errors stay longer, they usually need reading. */
export const NOTICE_MS: Record<NoticeKind, number> = { info: 4000, error: 10000 };

export const useNotices = create<NoticeState>()(() => ({ notices: [] }));

let nextId = 1;

export function dismiss(id: number): void {
  useNotices.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}

export function notify(kind: NoticeKind, text: string): void {
  const id = nextId++;
  useNotices.setState((s) => ({ notices: [...s.notices, { id, kind, text }].slice(-MAX_SHOWN) }));
  if (typeof setTimeout === 'function') setTimeout(() => dismiss(id), NOTICE_MS[kind]);
}
