import { dismiss, useNotices, type Notice } from './notices.ts';
import './sharing/sharing.css';

function NoticeItem({ notice }: { notice: Notice }) {
  // The first line says what happened; the rest (a list of problems) is the detail.
  const [head, ...detail] = notice.text.split('\n');
  return (
    <div className={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="notice" data-kind={notice.kind}>
      <span className="notice-text">
        {detail.length > 0 ? <strong className="notice-head">{head}</strong> : head}
        {detail.length > 0 ? <span className="notice-detail">{detail.join('\n')}</span> : null}
      </span>
      <button type="button" className="notice-close" aria-label="Dismiss" onClick={() => dismiss(notice.id)}>
        ×
      </button>
    </div>
  );
}

/** The current notices, stacked at the bottom of the window. */
export function Notices() {
  const notices = useNotices((s) => s.notices);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <NoticeItem key={n.id} notice={n} />
      ))}
    </div>
  );
}
