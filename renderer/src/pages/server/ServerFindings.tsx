import { SEVERITY_ORDER, type Finding } from '../../../../shared/model/finding.js';
import { isScopeFinding } from '../../../../shared/model/tenant.js';
import { routeHref } from '../../app/router.js';
import { useAdminQuery } from '../../client/index.js';
import { useConfigChangeDialog } from '../../components/ConfigChangeDialog.js';
import { severityClass } from '../findings/model.js';
import '../findings/findings.css';

/**
 * "Fix…" for a finding the service can fix automatically (quarantine aside: the page has its own
 * button for that); nothing for a manual-only one. Opens the shared fix dialog.
 */
function FixButton({ finding: f }: { finding: Finding }) {
  const options = useAdminQuery('config.fixOptions', { findingId: f.id }, { staleTime: 0, retry: false });
  const openFix = useConfigChangeDialog((s) => s.openFix);
  const auto = options.data?.some((o) => o.kind === 'fix' && o.strategy !== 'quarantine');
  if (!auto) return null;
  return (
    <button
      type="button"
      className="btn"
      data-testid="server-finding-fix"
      aria-label={`Fix ${f.title}`}
      title="Preview a fix for this finding (masked diff), then confirm; every write can be undone"
      onClick={() =>
        openFix({
          findingId: f.id,
          title: f.title,
          ruleId: f.ruleId,
          file: f.location.file,
          ...(f.server ? { server: f.server } : {}),
        })
      }
    >
      Fix…
    </button>
  );
}

/**
 * The findings of one server (the same `findings.list` the Findings page uses, filtered by server
 * id): worst first, open before suppressed, each linking to its detail on the Findings page.
 */
export function ServerFindings({ serverId }: { serverId: string }) {
  const q = useAdminQuery('findings.list', { serverId });
  const rank = (s: string) => SEVERITY_ORDER.indexOf(s as (typeof SEVERITY_ORDER)[number]);
  const rows = [...(q.data?.findings ?? [])].sort(
    (a, b) =>
      (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1) ||
      rank(a.severity) - rank(b.severity) ||
      a.title.localeCompare(b.title),
  );
  const open = rows.filter((f) => f.status === 'open').length;
  return (
    <section className="server-findings" aria-labelledby="server-findings-title" data-testid="server-findings">
      <h2 id="server-findings-title">
        Findings{' '}
        {q.data?.scanId ? (
          <span className="muted" data-testid="server-findings-count" data-open={open}>
            {open} open{rows.length > open ? ` · ${rows.length - open} suppressed` : ''}
          </span>
        ) : null}
      </h2>
      {q.isPending ? (
        <p className="muted">Loading findings…</p>
      ) : q.isError ? (
        <div className="callout callout-error" role="alert">
          Could not load findings: {q.error.message}
        </div>
      ) : !q.data.scanId ? (
        <p className="muted">
          No scan yet. <a href={routeHref('findings')}>Run a scan on the Findings page</a>.
        </p>
      ) : rows.length === 0 ? (
        <p className="muted" data-testid="server-findings-none">
          No findings for this server in the latest scan{' '}
          {q.data.scannedAt ? `(${new Date(q.data.scannedAt).toLocaleString()})` : ''}.
        </p>
      ) : (
        <table className="gh-table server-findings-table">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Finding</th>
              <th scope="col">Where</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <tr
                key={f.id}
                data-testid="server-finding"
                data-id={f.id}
                data-severity={f.severity}
                data-rule={f.ruleId}
              >
                <td>
                  <span className={severityClass(f.severity)}>{f.severity}</span>
                </td>
                <td>
                  <a href={`${routeHref('findings')}?status=all&finding=${encodeURIComponent(f.id)}`}>{f.title}</a>
                  {f.evidence && (
                    <div className="faint server-finding-evidence" title={f.evidence}>
                      {f.evidence}
                    </div>
                  )}
                </td>
                <td className="mono faint" title={f.location.pointer}>
                  {f.location.pointer || '—'}
                </td>
                <td>{f.status === 'open' ? 'open' : <span className="muted">suppressed</span>}</td>
                <td className="server-finding-actions">
                  {f.status === 'open' && !isScopeFinding(f) && <FixButton finding={f} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
