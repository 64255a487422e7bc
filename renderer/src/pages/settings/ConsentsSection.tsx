import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { clientLabel } from '../../lib/labels.js';

/** Stored consents to start stdio servers: what each covers, when it was given; revocable. */
export function ConsentsSection() {
  const consents = useAdminQuery('live.consents', {});
  const revoke = useAdminMutation('live.revokeConsent');
  if (consents.isPending) return <p className="muted">Loading…</p>;
  if (consents.isError) return <div className="callout callout-error">{consents.error.message}</div>;
  if (consents.data.length === 0) {
    return (
      <p className="muted" data-testid="consents-empty">
        No consents. Gatehouse starts a configured stdio server only after you review its command line on the
        server&apos;s page and consent.
      </p>
    );
  }
  return (
    <table className="gh-table" data-testid="consents-table">
      <thead>
        <tr>
          <th>Server</th>
          <th>Client</th>
          <th>Command line</th>
          <th>Env variables</th>
          <th>Granted</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {consents.data.map((c) => (
          <tr key={c.hash} data-testid="consent-row" data-hash={c.hash}>
            <td>{c.serverName}</td>
            <td>{clientLabel(c.client)}</td>
            <td className="mono">
              {[c.command, ...c.args].join(' ')}
              {c.cwd ? <span className="muted"> (in {c.cwd})</span> : null}
            </td>
            <td className="mono">{c.envKeys.join(', ') || '—'}</td>
            <td>{new Date(c.grantedAt).toLocaleString()}</td>
            <td>
              <button
                type="button"
                className="btn btn-ghost"
                data-testid="consent-revoke"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ hash: c.hash })}
              >
                Revoke
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
