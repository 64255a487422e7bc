import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { clientLabel } from '../../lib/labels.js';

/**
 * Stored consents: stdio command lines, project remote servers (URL), trusted project folders, and
 * legacy consents (from before consents were bound to the server; they match nothing). Revocable.
 */
export function ConsentsSection() {
  const consents = useAdminQuery('live.consents', {});
  const revoke = useAdminMutation('live.revokeConsent');
  if (consents.isPending) return <p className="muted">Loading…</p>;
  if (consents.isError) return <div className="callout callout-error">{consents.error.message}</div>;
  if (consents.data.length === 0) {
    return (
      <p className="muted" data-testid="consents-empty">
        No consents. Gatehouse starts a configured stdio server, or contacts a remote server configured in a project
        file, only after you review it on the server&apos;s page and consent (or trust the project folder).
      </p>
    );
  }
  return (
    <table className="gh-table" data-testid="consents-table">
      <thead>
        <tr>
          <th>Server</th>
          <th>Client</th>
          <th>Covers</th>
          <th>Env variables</th>
          <th>Granted</th>
          <th />
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
