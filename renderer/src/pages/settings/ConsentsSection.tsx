import { useState } from 'react';
import type { Consent } from '../../../../shared/model/live.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { clientLabel } from '../../lib/labels.js';

function consentSubject(c: Consent): string {
  return c.kind === 'project'
    ? `the project folder ${c.projectDir ?? ''}`
    : `${c.serverName} (${clientLabel(c.client)})`;
}

/**
 * Stored consents: stdio command lines, project remote servers (URL), trusted project folders, and
 * legacy consents (from before consents were bound to the server; they match nothing). Revocable.
 */
export function ConsentsSection() {
  const consents = useAdminQuery('live.consents', {});
  const revoke = useAdminMutation('live.revokeConsent');
  const grant = useAdminMutation('live.grantConsent');
  const trust = useAdminMutation('live.trustProject');
  const [asking, setAsking] = useState<Consent | null>(null);
  const [revoked, setRevoked] = useState<Consent | null>(null);
  const [undone, setUndone] = useState<string | null>(null);

  // Undo re-grants exactly what was revoked: the same consent key (a server whose command changed
  // meanwhile no longer matches it, and the service refuses) or the same project folder.
  const undo = (c: Consent) => {
    const done = { onSuccess: () => (setRevoked(null), setUndone(`Consent restored for ${consentSubject(c)}.`)) };
    if (c.kind === 'project' && c.projectDir) trust.mutate({ serverId: c.serverId, projectDir: c.projectDir }, done);
    else grant.mutate({ serverId: c.serverId, hash: c.hash }, done);
  };
  const undoError = grant.error ?? trust.error;

  const notices = (
    <>
      {revoked && (
        <div className="callout" role="status" data-testid="consent-revoked">
          Revoked consent for {consentSubject(revoked)}.{' '}
          {revoked.kind !== 'legacy' && (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => undo(revoked)}
              disabled={grant.isPending || trust.isPending}
              data-testid="consent-undo"
            >
              Undo
            </button>
          )}
        </div>
      )}
      {undone && !revoked && (
        <p className="muted" role="status">
          {undone}
        </p>
      )}
      {undoError && (
        <div className="callout callout-error" role="alert">
          Could not restore the consent: {undoError.message}. Review the server on its page and consent again.
        </div>
      )}
      {asking && (
        <ConfirmDialog
          title="Revoke this consent?"
          confirmLabel="Revoke consent"
          busy={revoke.isPending}
          error={revoke.error?.message}
          testId="consent-revoke-dialog"
          onCancel={() => setAsking(null)}
          onConfirm={() =>
            revoke.mutate(
              { hash: asking.hash },
              {
                onSuccess: () => {
                  setRevoked(asking);
                  setUndone(null);
                  setAsking(null);
                },
              },
            )
          }
        >
          <p>
            Gatehouse will no longer{' '}
            {asking.kind === 'project'
              ? 'contact the remote servers configured in'
              : asking.kind === 'remote'
                ? 'contact'
                : 'start'}{' '}
            <strong>{consentSubject(asking)}</strong>
            {asking.kind === 'stdio' || asking.kind === 'legacy' ? (
              <>
                {' '}
                (<span className="mono">{[asking.command, ...asking.args].join(' ')}</span>)
              </>
            ) : null}
            . It shows as “needs consent” until you review it again.
          </p>
          {asking.kind !== 'legacy' && <p className="muted">You can undo this right after.</p>}
        </ConfirmDialog>
      )}
    </>
  );
  if (consents.isPending) return <p className="muted">Loading…</p>;
  if (consents.isError) return <div className="callout callout-error">{consents.error.message}</div>;
  if (consents.data.length === 0) {
    return (
      <>
        {notices}
        <p className="muted" data-testid="consents-empty">
          No consents. Gatehouse starts a configured stdio server, or contacts a remote server configured in a project
          file, only after you review it on the server&apos;s page and consent (or trust the project folder).
        </p>
      </>
    );
  }
  return (
    <>
      {notices}
      <table className="gh-table" data-testid="consents-table">
        <thead>
          <tr>
            <th>Server</th>
            <th>Client</th>
            <th>Covers</th>
            <th>Env variables</th>
            <th>Granted</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {consents.data.map((c) => (
            <tr key={c.hash} data-testid="consent-row" data-hash={c.hash} data-kind={c.kind}>
              <td>{c.kind === 'project' ? <span className="badge">project folder</span> : c.serverName}</td>
              <td>{clientLabel(c.client)}</td>
              <td className="mono">
                {c.kind === 'project' ? (
                  <>trust {c.projectDir}</>
                ) : c.kind === 'remote' ? (
                  <>contact {c.url}</>
                ) : (
                  <>
                    {[c.command, ...c.args].join(' ')}
                    {c.cwd ? <span className="muted"> (in {c.cwd})</span> : null}
                  </>
                )}
                {c.source ? <span className="muted"> · {c.source}</span> : null}
                {c.kind === 'legacy' && (
                  <span
                    className="badge badge-warn"
                    title="Given before consents were bound to the server (client, config file, name): it no longer matches any server; review the server again"
                  >
                    legacy: no longer used
                  </span>
                )}
              </td>
              <td className="mono">{c.envKeys.join(', ') || '—'}</td>
              <td>{new Date(c.grantedAt).toLocaleString()}</td>
              <td>
                <button
                  type="button"
                  className="btn btn-ghost"
                  data-testid="consent-revoke"
                  disabled={revoke.isPending}
                  aria-label={`Revoke consent for ${consentSubject(c)}`}
                  onClick={() => {
                    revoke.reset();
                    setAsking(c);
                  }}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
