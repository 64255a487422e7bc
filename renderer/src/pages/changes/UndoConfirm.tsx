import { useEffect } from 'react';
import { Busy } from '../../components/ConfigChangeDialog.js';
import { trapTab, useModal } from '../../components/config-change/dialog-kit.js';
import type { ChangeGroup } from './model.js';

/** Asks before undoing a change group: which files are restored, and that a moved-on file stops it. */
export function UndoConfirm({
  group: g,
  busy,
  onCancel,
  onConfirm,
}: {
  group: ChangeGroup;
  busy: boolean;
  onCancel(): void;
  onConfirm(): void;
}) {
  const ref = useModal();
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[data-testid="undo-confirm"]')?.focus();
  }, [ref]);
  const left = g.changes.filter((c) => c.status !== 'undone');
  const many = left.length > 1;
  return (
    <dialog
      ref={ref}
      className="cc-dialog"
      style={{ width: 'min(560px, 94vw)' }}
      aria-labelledby="undo-title"
      aria-describedby="undo-desc"
      data-testid="undo-dialog"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
      onKeyDown={trapTab}
    >
      <div className="cc-head">
        <h2 id="undo-title">
          Undo change {g.key.slice(0, 8)}
          {many ? ` (${left.length} files)` : ''}?
        </h2>
      </div>
      <div className="cc-body" id="undo-desc">
        <p>
          Restores {many ? 'these files' : 'this file'} byte for byte as {many ? 'they were' : 'it was'} before{' '}
          {new Date(g.at).toLocaleString()}
          {many ? ', all or none' : ''}. Gatehouse checks first that nothing changed since; otherwise nothing is
          written.
        </p>
        <ul className="undo-files" data-testid="undo-files">
          {left.map((c) => (
            <li key={c.id}>
              <span className="mono">{c.file}</span> <span className="muted">— {c.summary}</span>
            </li>
          ))}
        </ul>
        {busy && <Busy label="Restoring…" />}
      </div>
      <div className="cc-actions">
        <span className="spacer" />
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="undo-confirm"
          disabled={busy}
          onClick={onConfirm}
        >
          {many ? `Undo ${left.length} files` : 'Undo'}
        </button>
      </div>
    </dialog>
  );
}
