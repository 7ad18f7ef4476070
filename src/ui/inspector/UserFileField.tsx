/**
 * For a Data node that reads a file of the user's own: pick or drop the
 * file, which is kept in this browser (IndexedDB) and named in the node's
 * `file` param (one undo step), then a summary of what it holds, or why it
 * does not fit the node's params.
 */
import { useEffect, useId, useState, type DragEvent } from 'react';
import { setParams } from '../../core/edits/recipes.ts';
import type { GraphNode } from '../../core/graph/schema.ts';
import { isUserDataset } from '../../core/data/datasets.ts';
import { attachUserFile, readAttachedFile } from '../../storage/user-files.ts';
import { getEditor } from '../store/editor-store.ts';
import { ACCEPTED_FILES, reportUserFile, type UserFileReport } from './user-file-summary.ts';

type Status = { state: 'idle' } | { state: 'reading' } | { state: 'done'; report: UserFileReport } | { state: 'failed'; error: string };

export function UserFileField({ node, scope }: { node: GraphNode; scope: string | undefined }) {
  const id = useId();
  const params = node.params as { dataset?: unknown; file?: unknown };
  const dataset = typeof params.dataset === 'string' && isUserDataset(params.dataset) ? params.dataset : undefined;
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  // Bumped when a file is attached again under the same name, so the summary is redone.
  const [attachments, setAttachments] = useState(0);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    if (!dataset) return;
    let current = true;
    setStatus({ state: 'reading' });
    reportUserFile(node.params, readAttachedFile).then(
      (report) => current && setStatus(report ? { state: 'done', report } : { state: 'idle' }),
      (error: unknown) => current && setStatus({ state: 'failed', error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      current = false;
    };
  }, [node.params, dataset, attachments]);

  if (!dataset) return null;

  const attach = async (file: File) => {
    try {
      const name = await attachUserFile(file.name, new Uint8Array(await file.arrayBuffer()));
      getEditor().edit(setParams(node.id, { file: name }, scope), 'Attach data file');
      setAttachments((n) => n + 1);
    } catch (error) {
      setStatus({ state: 'failed', error: `${file.name} was not attached: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    event.stopPropagation();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void attach(file);
  };
  const fileName = typeof params.file === 'string' ? params.file : '';

  return (
    <section className="inspector-section" data-testid="user-file">
      <h3>Data file</h3>
      <div
        className={`field user-file-drop${dragging ? ' user-file-dragging' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          event.stopPropagation();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor={id}>{fileName ? `Attached: ${fileName}` : `Attach a ${dataset === 'images' ? 'zip of PNG images' : dataset === 'csv' ? 'CSV file' : 'text file'} (or drop it here)`}</label>
        <input
          id={id}
          type="file"
          accept={ACCEPTED_FILES[dataset]}
          data-testid="user-file-input"
          onChange={(event) => {
            const file = event.target.files?.[0];
            event.target.value = '';
            if (file) void attach(file);
          }}
        />
        {status.state === 'reading' ? (
          <div className="field-hint">Reading…</div>
        ) : status.state === 'failed' ? (
          <div className="field-error" role="alert" data-testid="user-file-error">
            {status.error}
          </div>
        ) : status.state === 'done' ? (
          status.report.ok ? (
            <div className="field-hint" data-testid="user-file-summary">
              {status.report.summary}
            </div>
          ) : (
            <div className="field-error" role="alert" data-testid="user-file-error">
              {status.report.error}
            </div>
          )
        ) : (
          <div className="field-hint">Kept in this browser; a shared graph names the file but does not carry it.</div>
        )}
      </div>
    </section>
  );
}
