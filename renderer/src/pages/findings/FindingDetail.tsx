import { useState } from 'react';
import { isScopeFinding, type AnyFinding } from '../../../../shared/model/tenant.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { clientLabel } from '../../lib/labels.js';
import { severityClass } from './model.js';
import { copyText } from '../../lib/clipboard.js';
import { useConfigChangeDialog } from '../../components/ConfigChangeDialog.js';

/** Detail of one finding: what, where, how to fix it, and suppress / unsuppress. */
export function FindingDetail({ finding: f, onClose }: { finding: AnyFinding; onClose: () => void }) {
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
  const scope = isScopeFinding(f) ? f : null;
  const ws = isScopeFinding(f) ? null : f;
  const loc = ws ? `${ws.location.file}${ws.location.line ? `:${ws.location.line}` : ''}` : f.location.file;
  // Desktop only: the services accept config files of the latest discovery run and nothing else.
  const desktop = useAdminQuery('app.info', {}, { staleTime: Infinity }).data?.canReveal ?? false;
  const sources = useAdminQuery('discovery.latest', {}, { enabled: desktop }).data?.result.sources;
  const canReveal = desktop && !!ws && !!sources?.some((s) => s.path === ws.location.file);
  const reveal = useAdminMutation('app.reveal');
  const openFix = useConfigChangeDialog((s) => s.openFix);

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
        {ws?.secretType && (
          <>
            <dt>Secret type</dt>
            <dd className="mono">{ws.secretType}</dd>
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
        {ws && (
          <>
            <dt>Client</dt>
            <dd>{clientLabel(ws.client)}</dd>
            <dt>Server</dt>
            <dd>{ws.server || '—'}</dd>
          </>
        )}
        {scope && (
          <>
            <dt>Gateway</dt>
            <dd data-testid="finding-gateway">{scope.gatewayName}</dd>
            <dt>Subject</dt>
            <dd data-testid="finding-scope-subject">
              <span className="faint">{scope.subject.type}</span> {scope.subject.name}
            </dd>
            <dt>Teams</dt>
            <dd data-testid="finding-teams">{(scope.teamNames ?? scope.teams).join(', ') || '—'}</dd>
          </>
        )}
        <dt>{scope ? 'Gateway URL' : 'File'}</dt>
        <dd className="mono" data-testid="finding-file">
          {loc}{' '}
          <button
            type="button"
            className="btn btn-ghost"
            title={scope ? 'Copy the gateway URL' : 'Copy the file path'}
            onClick={() => {
              void copyText(f.location.file).then(setCopied);
            }}
          >
            {copied ? 'Copied' : scope ? 'Copy URL' : 'Copy path'}
          </button>
          {canReveal && (
            <button
              type="button"
              className="btn btn-ghost"
              data-testid="finding-reveal"
              title="Show the file in the file manager"
              disabled={reveal.isPending}
              onClick={() => reveal.mutate({ path: ws.location.file })}
            >
              Reveal in folder
            </button>
          )}
          {reveal.isError && (
            <div className="callout callout-error" role="alert" data-testid="finding-reveal-error">
              {reveal.error.message}
            </div>
          )}
        </dd>
        <dt>Pointer</dt>
        <dd className="mono" data-testid="finding-pointer">
          {f.location.pointer || '(whole file)'}
        </dd>
        <dt>First seen</dt>
        <dd>{new Date(f.firstSeen).toLocaleString()}</dd>
        {ws?.fingerprint && (
          <>
            <dt>Fingerprint</dt>
            <dd className="mono faint" title="Keyed hash (per-install key): equal credentials share it">
              {ws.fingerprint}
            </dd>
          </>
        )}
      </dl>
      {scope?.reach && scope.reach.length > 0 && (
        <div>
          <div className="muted" style={{ marginBottom: 4 }}>
            Access chain
          </div>
          <ol className="scope-chain" data-testid="finding-chain">
            {scope.reach.map((r) => (
              <li key={r.teamId} data-team={r.teamName}>
                {r.teamName} → {r.via.join(', ')} → {scope.subject.name}
              </li>
            ))}
          </ol>
        </div>
      )}
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

      {f.status === 'fixed' ? (
        <div className="callout callout-ok" data-testid="finding-fixed">
          Fixed: the scan of {'fixedAt' in f && f.fixedAt ? new Date(f.fixedAt).toLocaleString() : '—'} no longer
          reported it. Shown as last seen; it re-opens if a later scan finds it again.
        </div>
      ) : f.status === 'suppressed' && f.suppression ? (
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
        <div style={{ display: 'flex', gap: 6 }}>
          {ws && (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="fix-button"
              title="Preview a fix for this finding (masked diff), then confirm; every write can be undone"
              onClick={() =>
                openFix({
                  findingId: ws.id,
                  title: ws.title,
                  ruleId: ws.ruleId,
                  file: ws.location.file,
                  ...(ws.server ? { server: ws.server } : {}),
                })
              }
            >
              Fix…
            </button>
          )}
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
