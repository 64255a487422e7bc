import type { ConfigChange } from '../../../../shared/model/config-write.js';
import { DiffView } from '../../components/DiffView.js';

/** One file of a change group: ids and hashes, the masked diff (or the mode change), its notes. */
export function ChangeDetail({ change: c, showHead }: { change: ConfigChange; showHead: boolean }) {
  return (
    <div className="change-detail-file" data-testid="change-detail-file" data-file={c.file} data-status={c.status}>
      {showHead && (
        <div className="cc-file-head">
          <span className="badge">{c.status}</span>
          <span className="cc-file-path" title={c.file}>
            <bdi>{c.file}</bdi>
          </span>
          <span className="muted">{c.summary}</span>
        </div>
      )}
      <div className="muted mono" style={{ fontSize: 'var(--fs-small)' }}>
        change {c.id} · {c.actor} · before {c.beforeSha256.slice(0, 12)}
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
  );
}
