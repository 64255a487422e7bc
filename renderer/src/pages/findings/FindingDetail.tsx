import { useState } from 'react';
import type { Finding } from '../../../../shared/model/finding.js';
import { useAdminMutation } from '../../client/index.js';
import { clientLabel } from '../../lib/labels.js';
import { severityClass } from './model.js';

/** Detail of one finding: what, where, how to fix it, and suppress / unsuppress. */
export function FindingDetail({ finding: f, onClose }: { finding: Finding; onClose: () => void }) {
  const [formOpen, setFormOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [expiry, setExpiry] = useState('');
  const [copied, setCopied] = useState(false);
  const suppress = useAdminMutation('findings.suppress', {
    onSuccess: () => {
      setFormOpen(false);
      setReason('');
      setExpiry('');
    },
  });
  const unsuppress = useAdminMutation('findings.unsuppress');
  const loc = `${f.location.file}${f.location.line ? `:${f.location.line}` : ''}`;

  const submit = () => {
    if (!reason.trim()) return;
    // A date input gives YYYY-MM-DD: the suppression ends at the end of that day (local time).
    const expiresAt = expiry ? new Date(`${expiry}T23:59:59`).toISOString() : undefined;
    suppress.mutate({ id: f.id, reason: reason.trim(), ...(expiresAt ? { expiresAt } : {}) });
  };

  return (
    <aside className="panel finding-detail" data-testid="finding-detail" data-id={f.id} aria-label="Finding detail">
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <span className={severityClass(f.severity)}>{f.severity}</span>
        <h2>{f.title}</h2>
        <span className="spacer" style={{ flex: 1 }} />
        <button type="button" className="btn btn-ghost" aria-label="Close detail" onClick={onClose}>
          ✕
        </button>
      </div>
      <p style={{ margin: 0 }} data-testid="finding-message">
        {f.message}
      </p>
      <dl>
        <dt>Rule</dt>
        <dd className="mono">{f.ruleId}</dd>
        {f.secretType && (
          <>
            <dt>Secret type</dt>
            <dd className="mono">{f.secretType}</dd>
          </>
        )}
        {f.evidence && (
          <>
            <dt>Evidence</dt>
            <dd className="mono" data-testid="finding-detail-evidence">
              {f.evidence}
            </dd>
          </>
        )}
        <dt>Client</dt>
        <dd>{clientLabel(f.client)}</dd>
        <dt>Server</dt>
        <dd>{f.server || '—'}</dd>
        <dt>File</dt>
        <dd className="mono" data-testid="finding-file">
          {loc}{' '}
          <button
            type="button"
            className="btn btn-ghost"
            title="Copy the file path"
            onClick={() => {
              void navigator.clipboard?.writeText(f.location.file).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied' : 'Copy path'}
          </button>
        </dd>
        <dt>Pointer</dt>
        <dd className="mono" data-testid="finding-pointer">
          {f.location.pointer || '(whole file)'}
        </dd>
        <dt>First seen</dt>
        <dd>{new Date(f.firstSeen).toLocaleString()}</dd>
        {f.fingerprint && (
          <>
            <dt>Fingerprint</dt>
            <dd className="mono faint" title="Keyed hash (per-install key): equal credentials share it">
              {f.fingerprint}
            </dd>
          </>
        )}
      </dl>
      {f.remediation && (
        <div>
          <div className="muted" style={{ marginBottom: 4 }}>
            How to fix
          </div>
          <div className="remediation" data-testid="finding-remediation">
            {f.remediation}
          </div>
        </div>
      )}

      {f.status === 'suppressed' && f.suppression ? (
        <div className="callout" data-testid="finding-suppression">
          Suppressed {new Date(f.suppression.createdAt).toLocaleString()}
          {f.suppression.expiresAt ? ` until ${new Date(f.suppression.expiresAt).toLocaleString()}` : ''}:{' '}
          {f.suppression.reason}
          <div style={{ marginTop: 6 }}>
            <button
              type="button"
              className="btn"
              data-testid="unsuppress-button"
              disabled={unsuppress.isPending}
              onClick={() => unsuppress.mutate({ id: f.id })}
            >
              Unsuppress
            </button>
          </div>
        </div>
      ) : formOpen ? (
        <form
          className="suppress-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <label className="field-label" style={{ flexDirection: 'column', alignItems: 'stretch' }}>
            Reason (required)
            <textarea
              className="input"
              data-testid="suppress-reason"
              required
              autoFocus
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="Why this is accepted, e.g. a read-only token scoped to one repository"
            />
          </label>
          <label className="field-label">
            Expires (optional)
            <input
              className="input"
              type="date"
              data-testid="suppress-expiry"
              value={expiry}
              min={new Date().toISOString().slice(0, 10)}
              onChange={(e) => setExpiry(e.target.value)}
            />
          </label>
          <div style={{ display: 'flex', gap: 6 }}>
            <button
              type="submit"
              className="btn btn-primary"
              data-testid="suppress-confirm"
              disabled={!reason.trim() || suppress.isPending}
            >
              Suppress
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setFormOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div>
          <button type="button" className="btn" data-testid="suppress-button" onClick={() => setFormOpen(true)}>
            Suppress…
          </button>
        </div>
      )}
      {(suppress.isError || unsuppress.isError) && (
        <div className="callout callout-error" role="alert">
          {suppress.error?.message ?? unsuppress.error?.message}
        </div>
      )}
    </aside>
  );
}
