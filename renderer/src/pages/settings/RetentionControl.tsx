import { useState } from 'react';
import type { RetentionPreview } from '../../../../shared/model/audit.js';
import { useAdminClient, useAdminMutation, useAdminQuery } from '../../client/index.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';

const fmt = (n: number) => n.toLocaleString();
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/**
 * Audit retention: a change that deletes events is previewed (count, range, sources), confirmed with
 * the count named, and moves the events to the trash, from which the deletion can be undone (the
 * previous period comes back with it) for `trashDays` days. The service refuses a deleting change
 * without the confirmed count, so no client can delete silently.
 */
export function RetentionControl() {
  const client = useAdminClient();
  const settings = useAdminQuery('audit.settings.get', {});
  const setSettings = useAdminMutation('audit.settings.set');
  const [value, setValue] = useState<string | null>(null);
  const [preview, setPreview] = useState<RetentionPreview | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [previewError, setPreviewError] = useState<string | null>(null);

  const current = settings.data?.retentionDays ?? null;
  const shown = value ?? (current ? String(current) : '');
  const wanted = shown ? Number(shown) : null;
  const unchanged = wanted === current;

  const review = async () => {
    setPreviewError(null);
    setSettings.reset();
    setPreviewing(true);
    try {
      const p = await client.invoke('audit.retention.preview', { retentionDays: wanted });
      if (p.events === 0) setSettings.mutate({ retentionDays: wanted }, { onSuccess: () => setValue(null) });
      else setPreview(p);
    } catch (err) {
      setPreviewError((err as Error).message);
    } finally {
      setPreviewing(false);
    }
  };

  const confirm = (p: RetentionPreview) =>
    setSettings.mutate(
      { retentionDays: p.retentionDays, confirmDeletion: p.events },
      {
        onSuccess: () => {
          setPreview(null);
          setValue(null);
        },
        // More events passed the cutoff since the preview: show the new count, ask again.
        onError: (err) => {
          if (err.code === 'conflict')
            void client
              .invoke('audit.retention.preview', { retentionDays: p.retentionDays })
              .then(setPreview)
              .catch(() => undefined);
        },
      },
    );

  return (
    <>
      <label className="field-label">
        Keep events for (days; empty = forever)
        <input
          className="input"
          inputMode="numeric"
          value={shown}
          onChange={(e) => setValue(e.target.value.replace(/\D/g, ''))}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !unchanged) void review();
          }}
          data-testid="audit-retention"
        />
      </label>
      <button
        type="button"
        className="btn"
        onClick={() => void review()}
        disabled={unchanged || previewing || setSettings.isPending}
        data-testid="audit-retention-save"
      >
        {previewing ? 'Checking…' : 'Save retention…'}
      </button>
      {previewError && (
        <span className="badge badge-danger" role="alert">
          {previewError}
        </span>
      )}
      {setSettings.data && !preview && (
        <span className="muted" role="status" data-testid="audit-retention-result">
          Saved.{' '}
          {setSettings.data.deletedEvents
            ? `${fmt(setSettings.data.deletedEvents)} events moved to the trash (restorable below).`
            : 'No events deleted.'}
        </span>
      )}
      {preview && (
        <ConfirmDialog
          title={`Delete ${fmt(preview.events)} audit events?`}
          confirmLabel={`Delete ${fmt(preview.events)} events`}
          busy={setSettings.isPending}
          error={setSettings.error?.message}
          testId="retention-dialog"
          onCancel={() => {
            setPreview(null);
            setSettings.reset();
          }}
          onConfirm={() => confirm(preview)}
        >
          <p data-testid="retention-preview" data-events={preview.events}>
            Keeping events for <strong>{preview.retentionDays} days</strong> deletes{' '}
            <strong>{fmt(preview.events)} events</strong> older than {when(preview.cutoff)}, from {when(preview.from)}{' '}
            to {when(preview.to)} (local time).
          </p>
          {preview.bySource.length > 0 && (
            <ul className="muted">
              {preview.bySource.slice(0, 6).map((s) => (
                <li key={s.source}>
                  {s.source}: {fmt(s.events)}
                </li>
              ))}
              {preview.bySource.length > 6 && <li>and {preview.bySource.length - 6} more sources</li>}
            </ul>
          )}
          <p className="muted">
            They move to the trash and can be restored, with the previous retention, for {preview.trashDays} days
            (Settings → Audit sources → Deleted events). Gatehouse&apos;s own action log is never deleted.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** Deletions kept in the trash (retention, removed sources), each restorable until it expires. */
export function AuditTrash() {
  const trash = useAdminQuery('audit.trash.list', {});
  const restore = useAdminMutation('audit.trash.restore');
  if (!trash.data?.length && !restore.data) return null;
  return (
    <div className="audit-trash" data-testid="audit-trash">
      <h3 className="panel-sub">Deleted events</h3>
      {restore.data && (
        <p className="muted" role="status" data-testid="audit-restore-result">
          Restored {fmt(restore.data.restored)} events
          {restore.data.duplicates ? ` (${fmt(restore.data.duplicates)} already stored again)` : ''}; retention is now{' '}
          {restore.data.retentionDays ? `${restore.data.retentionDays} days` : 'forever'}.
        </p>
      )}
      {restore.error && (
        <div className="callout callout-error" role="alert">
          {restore.error.message}
        </div>
      )}
      {!!trash.data?.length && (
        <table className="gh-table">
          <thead>
            <tr>
              <th>Deleted</th>
              <th>Why</th>
              <th className="count">Events</th>
              <th>Event times (local)</th>
              <th>Restorable until</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {trash.data.map((b) => (
              <tr key={b.id} data-testid="audit-trash-row" data-events={b.events}>
                <td>{when(b.deletedAt)}</td>
                <td>
                  {b.reason === 'retention'
                    ? `retention set to ${b.detail.retentionDays ?? '?'} days (was ${b.detail.previousRetentionDays ? `${b.detail.previousRetentionDays} days` : 'forever'})`
                    : `source “${b.detail.source ?? '?'}” removed`}
                </td>
                <td className="count">{fmt(b.events)}</td>
                <td>
                  {when(b.from)} – {when(b.to)}
                </td>
                <td>{when(b.expiresAt)}</td>
                <td>
                  <button
                    type="button"
                    className="btn"
                    disabled={restore.isPending}
                    onClick={() => restore.mutate({ id: b.id })}
                    data-testid="audit-trash-restore"
                    aria-label={`Restore ${fmt(b.events)} events deleted ${when(b.deletedAt)}`}
                  >
                    Restore
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
