import { Fragment, useEffect, useRef, useState } from 'react';
import type { ConfigChange } from '../../../../shared/model/config-write.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { Busy, trapTab } from '../../components/ConfigChangeDialog.js';
import { DiffView } from '../../components/DiffView.js';
import '../../components/config-change.css';

const STATUS_BADGE: Record<ConfigChange['status'], string> = {
  applied: 'badge badge-ok',
  undone: 'badge',
  pending: 'badge badge-warn',
};

/**
 * Changes: every config write Gatehouse made (fixes, quarantines, copies), newest first, with its
 * masked diff and Undo. Undo restores the file byte for byte, and is refused (with the reason)
 * when the file has moved on since.
 */
export default function ChangesPage() {
  const list = useAdminQuery('config.changes', {}, { topics: ['config-changes'], staleTime: 0 });
  const [openId, setOpenId] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<ConfigChange | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const scan = useAdminMutation('findings.scan');
  const undo = useAdminMutation('config.undo', {
    onSuccess: ([c]) => {
      if (!c) return;
      setConfirming(null);
      setMessage({
        ok: true,
        text: `Undone ${c.id.slice(0, 8)}: ${c.file} restored byte for byte. Findings rescanned.`,
      });
      void list.refetch();
      scan.mutate({});
    },
    onError: (err) => {
      setConfirming(null);
      setMessage({ ok: false, text: `Undo refused: ${err.message}` });
      void list.refetch();
    },
  });
  const changes = list.data ?? [];

  return (
    <section className="page page-fill" data-testid="page-changes" aria-labelledby="changes-title">
      <header className="page-header">
        <h1 id="changes-title">Changes</h1>
        <span className="page-sub">Every config file write by Gatehouse, newest first. Diffs are masked.</span>
        <span className="spacer" />
        <span className="count" data-testid="changes-count" data-count={changes.length}>
          {changes.length} change{changes.length === 1 ? '' : 's'}
        </span>
        <button
          type="button"
          className="btn"
          data-testid="changes-refresh"
          aria-busy={list.isFetching}
          disabled={list.isFetching}
          onClick={() => void list.refetch()}
          title="Check again which changes can be undone"
        >
          {list.isFetching ? 'Checking…' : 'Refresh'}
        </button>
      </header>

      {message && (
        <div
          className={message.ok ? 'callout callout-ok' : 'callout callout-error'}
          role={message.ok ? 'status' : 'alert'}
          data-testid={message.ok ? 'changes-message' : 'changes-error'}
        >
          {message.text}{' '}
          <button type="button" className="btn btn-ghost" onClick={() => setMessage(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {scan.isPending && <Busy label="Rescanning the workstation…" />}
      {list.isError && (
        <div className="callout callout-error" role="alert">
          Could not load the changes: {list.error.message}
        </div>
      )}

      <div className="changes-scroll">
        <table className="changes" data-testid="changes-table" aria-label="Config changes">
          <colgroup>
            <col style={{ width: '12%' }} />
            <col style={{ width: '28%' }} />
            <col style={{ width: '24%' }} />
            <col style={{ width: '8%' }} />
            <col style={{ width: '13%' }} />
            <col style={{ width: '15%' }} />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">File · pointer</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="cc-sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {changes.length === 0 && (
              <tr>
                <td colSpan={6} className="muted" data-testid="changes-empty">
                  {list.isPending
                    ? 'Loading…'
                    : 'No config changes yet. Fixes from the Findings page (and gatehouse fix / config) are listed here.'}
                </td>
              </tr>
            )}
            {changes.map((c) => (
              <Fragment key={c.id}>
                <tr
                  className="change-row"
                  data-testid="change-row"
                  data-id={c.id}
                  data-status={c.status}
                  data-undoable={c.undoable ? 'yes' : 'no'}
                >
                  <td title={c.at}>{new Date(c.at).toLocaleString()}</td>
                  <td>
                    <div className="change-file" title={c.file} data-testid="change-file">
                      <bdi>{c.file}</bdi>
                    </div>
                    <div className="mono faint" style={{ fontSize: 'var(--fs-small)' }} data-testid="change-pointers">
                      {c.pointers.length ? c.pointers.join(', ') : '(whole file)'}
                    </div>
                  </td>
                  <td>
                    <span className="badge">{c.kind}</span> {c.summary}
                  </td>
                  <td>{c.actor}</td>
                  <td>
                    <span className={STATUS_BADGE[c.status]} data-testid="change-status">
                      {c.status}
                    </span>
                    {c.status !== 'undone' && !c.undoable && c.undoBlocked && (
                      <div className="change-blocked" data-testid="change-blocked">
                        Cannot undo: {c.undoBlocked}
                      </div>
                    )}
                  </td>
                  <td>
                    <div className="changes-actions">
                      <button
                        type="button"
                        className="btn btn-ghost"
                        aria-expanded={openId === c.id}
                        title="The masked diff and notes"
                        aria-controls={`change-detail-${c.id}`}
                        data-testid="change-toggle"
                        onClick={() => setOpenId(openId === c.id ? null : c.id)}
                      >
                        Diff <span aria-hidden="true">{openId === c.id ? '▴' : '▾'}</span>
                      </button>
                      {c.status !== 'undone' && (
                        <button
                          type="button"
                          className="btn"
                          data-testid="change-undo"
                          disabled={!c.undoable || undo.isPending}
                          title={c.undoable ? 'Restore the file as it was before this change' : c.undoBlocked}
                          onClick={() => setConfirming(c)}
                        >
                          Undo…
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
                {openId === c.id && (
                  <tr className="change-detail" id={`change-detail-${c.id}`}>
                    <td colSpan={6}>
                      <div className="change-detail-inner">
                        <div className="muted mono" style={{ fontSize: 'var(--fs-small)' }}>
                          change {c.id} · before {c.beforeSha256.slice(0, 12)}
                          {c.afterSha256 ? ` · after ${c.afterSha256.slice(0, 12)}` : ''}
                          {c.undoneAt ? ` · undone ${new Date(c.undoneAt).toLocaleString()}` : ''}
                        </div>
                        {c.kind === 'edit' ? (
                          <DiffView diff={c.diff} label={c.file} testId="change-diff" />
                        ) : (
                          <div className="muted">File mode change (no content change).</div>
                        )}
                        {c.notes.length > 0 && (
                          <ul className="cc-notes">
                            {c.notes.map((n) => (
                              <li key={n}>{n}</li>
                            ))}
                          </ul>
                        )}
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>

      {confirming && (
        <UndoConfirm
          change={confirming}
          busy={undo.isPending}
          onCancel={() => setConfirming(null)}
          onConfirm={() => undo.mutate({ id: confirming.id })}
        />
      )}
    </section>
  );
}

function UndoConfirm({
  change,
  busy,
  onCancel,
  onConfirm,
}: {
  change: ConfigChange;
  busy: boolean;
  onCancel(): void;
  onConfirm(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    d?.querySelector<HTMLElement>('[data-testid="undo-confirm"]')?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      className="cc-dialog"
      style={{ width: 'min(520px, 94vw)' }}
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
        <h2 id="undo-title">Undo change {change.id.slice(0, 8)}?</h2>
      </div>
      <div className="cc-body" id="undo-desc">
        <p>
          Restores <span className="mono">{change.file}</span> byte for byte as it was before{' '}
          {new Date(change.at).toLocaleString()} ({change.summary}). Gatehouse checks first that the file has not
          changed since; otherwise nothing is written.
        </p>
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
          Undo
        </button>
      </div>
    </dialog>
  );
}
