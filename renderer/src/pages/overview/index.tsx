import { useMemo, useState } from 'react';
import { SEVERITY_ORDER, type Severity } from '../../../../shared/model/finding.js';
import { routeHref } from '../../app/router.js';
import { useAdminQuery } from '../../client/index.js';
import { clientLabel } from '../../lib/labels.js';
import { severityClass } from '../findings/model.js';
import '../findings/findings.css';
import './overview.css';

const DAY = 24 * 3600 * 1000;

/** Start of the denials window (fixed per visit, so the query key is stable). */
function daysAgo14(): string {
  return new Date(Date.now() - 14 * DAY).toISOString();
}

function Card({
  title,
  testId,
  children,
  href,
}: {
  title: string;
  testId: string;
  children: React.ReactNode;
  href?: string;
}) {
  return (
    <section className="ov-card" data-testid={testId} aria-labelledby={`${testId}-title`}>
      <header className="ov-card-head">
        <h2 id={`${testId}-title`}>{title}</h2>
        {href && (
          <a href={href} className="ov-more">
            Open
          </a>
        )}
      </header>
      {children}
    </section>
  );
}

/**
 * Overview: where to look first. Built from the same API methods as the other pages:
 * findings.list (risks, counts, what is new), live.states (changed definitions, consent),
 * gateways.list (health), audit.histogram (denials over 14 days).
 */
export default function OverviewPage() {
  const findings = useAdminQuery('findings.list', {}, { topics: ['gateways'] });
  const fixedList = useAdminQuery('findings.list', { status: 'fixed' });
  const states = useAdminQuery('live.states', {}, { topics: ['discovery'] });
  const gateways = useAdminQuery('gateways.list', {});
  const [since] = useState(daysAgo14);
  const hist = useAdminQuery('audit.histogram', { filter: { since }, buckets: 14 });
  const report = findings.data;
  const open = useMemo(() => (report?.findings ?? []).filter((f) => f.status === 'open'), [report]);
  const rank = (s: string) => SEVERITY_ORDER.indexOf(s as Severity);
  const top = [...open]
    .sort((a, b) => rank(a.severity) - rank(b.severity) || a.title.localeCompare(b.title))
    .slice(0, 8);
  const byClient = useMemo(() => {
    const m = new Map<string, Record<Severity, number>>();
    for (const f of open) {
      const key = 'client' in f && f.client ? String(f.client) : 'gateway';
      const row = m.get(key) ?? { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
      row[f.severity as Severity]++;
      m.set(key, row);
    }
    return [...m.entries()].sort((a, b) => SEVERITY_ORDER.reduce((n, s) => n || b[1][s] - a[1][s], 0));
  }, [open]);
  const newSince = report?.scannedAt ? open.filter((f) => f.firstSeen >= report.scannedAt!) : [];
  // A day, not "the latest scan": the config watcher rescans on every edit, so the scan that saw a
  // fix is rarely the latest one by the time the admin looks.
  const fixedNow = report?.scannedAt
    ? (fixedList.data?.findings ?? []).filter(
        (f) =>
          'fixedAt' in f &&
          typeof f.fixedAt === 'string' &&
          Date.parse(report.scannedAt!) - Date.parse(f.fixedAt) <= 86_400_000,
      )
    : [];
  const changed = (states.data ?? []).filter((s) => (s.changes ?? 0) > 0);
  const needsConsent = (states.data ?? []).filter((s) => s.status === 'needs-consent').length;
  const maxDenied = Math.max(1, ...(hist.data?.buckets.map((b) => b.denied) ?? [0]));
  const totalDenied = hist.data?.buckets.reduce((n, b) => n + b.denied, 0) ?? 0;

  return (
    <section className="page ov" data-testid="page-overview" aria-labelledby="overview-title">
      <header className="page-header">
        <h1 id="overview-title">Overview</h1>
        {report?.scannedAt && (
          <span className="muted" data-testid="overview-scanned">
            Latest scan {new Date(report.scannedAt).toLocaleString()}
          </span>
        )}
      </header>
      {findings.isError && (
        <div className="callout callout-error" role="alert">
          Could not load findings: {findings.error.message}
        </div>
      )}
      <div className="ov-sev" data-testid="overview-severity">
        {SEVERITY_ORDER.map((s) => (
          <a
            key={s}
            className="ov-sev-tile"
            href={`${routeHref('findings')}?severity=${s}`}
            data-severity={s}
            data-count={report?.summary.bySeverity[s] ?? 0}
          >
            <span className="ov-sev-n">{report ? report.summary.bySeverity[s] : '…'}</span>
            <span className={severityClass(s)}>{s}</span>
          </a>
        ))}
      </div>
      <div className="ov-grid">
        <Card title="Top risks" testId="overview-top" href={routeHref('findings')}>
          {!report ? (
            <p className="muted">Loading…</p>
          ) : !report.scanId ? (
            <p className="muted">
              No scan yet. <a href={routeHref('findings')}>Scan on the Findings page</a>.
            </p>
          ) : top.length === 0 ? (
            <p className="muted">No open findings.</p>
          ) : (
            <ul className="ov-list">
              {top.map((f) => (
                <li key={f.id} data-testid="overview-risk" data-severity={f.severity}>
                  <span className={severityClass(f.severity as Severity)}>{f.severity}</span>
                  <a href={`${routeHref('findings')}?finding=${encodeURIComponent(f.id)}`} title={f.message}>
                    {f.title}
                  </a>
                  {'server' in f && f.server ? <span className="muted ov-sub">{String(f.server)}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Since the last scan" testId="overview-changes">
          <ul className="ov-list">
            <li data-testid="overview-new" data-count={newSince.length}>
              <strong>{newSince.length}</strong>{' '}
              <a href={routeHref('findings')}>new finding{newSince.length === 1 ? '' : 's'}</a>
              {newSince.length > 0 && <span className="muted ov-sub">first seen in the latest scan</span>}
            </li>
            <li data-testid="overview-fixed" data-count={fixedNow.length}>
              <strong>{fixedNow.length}</strong> <a href={`${routeHref('findings')}?status=fixed`}>fixed</a>
              {fixedNow.length > 0 && <span className="muted ov-sub">no longer reported, in the last 24 h</span>}
            </li>
            <li data-testid="overview-changed" data-count={changed.length}>
              <strong>{changed.length}</strong> server{changed.length === 1 ? '' : 's'} with changed tool definitions
              {changed.length > 0 && (
                <span className="ov-sub">
                  {changed.map((s, i) => (
                    <span key={s.serverId}>
                      {i > 0 && ', '}
                      <a href={`${routeHref('servers', s.serverId)}?tab=changes`}>
                        {s.changes} change{s.changes === 1 ? '' : 's'}
                      </a>
                    </span>
                  ))}
                </span>
              )}
            </li>
            <li data-testid="overview-consent" data-count={needsConsent}>
              <strong>{needsConsent}</strong>{' '}
              <a href={routeHref('inventory')}>server{needsConsent === 1 ? '' : 's'} waiting for consent</a>
            </li>
          </ul>
        </Card>
        <Card title="Open findings by client" testId="overview-clients">
          {byClient.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <table className="ov-table">
              <thead>
                <tr>
                  <th scope="col">Client</th>
                  {SEVERITY_ORDER.map((s) => (
                    <th key={s} scope="col" className="num">
                      {s}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {byClient.map(([c, counts]) => (
                  <tr key={c} data-testid="overview-client" data-client={c}>
                    <th scope="row">
                      {c === 'gateway' ? (
                        'Gateway scopes'
                      ) : (
                        <a href={`${routeHref('findings')}?client=${encodeURIComponent(c)}`}>{clientLabel(c)}</a>
                      )}
                    </th>
                    {SEVERITY_ORDER.map((s) => (
                      <td key={s} className={counts[s] ? 'num' : 'num faint'}>
                        {counts[s]}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Gateways" testId="overview-gateways" href={routeHref('gateways')}>
          {gateways.isPending ? (
            <p className="muted">Loading…</p>
          ) : gateways.isError ? (
            <p className="muted">Could not load gateways: {gateways.error.message}</p>
          ) : gateways.data.length === 0 ? (
            <p className="muted">
              No gateways. <a href={routeHref('gateways')}>Add one</a> to see tenant scopes and audit.
            </p>
          ) : (
            <ul className="ov-list">
              {gateways.data.map((g) => {
                const health = g.lastSyncError
                  ? { cls: 'badge badge-danger', text: 'sync failed' }
                  : g.lastTest && !g.lastTest.ok
                    ? { cls: 'badge badge-danger', text: g.lastTest.status }
                    : g.lastTest?.ok
                      ? { cls: 'badge badge-ok', text: `ok · ${Math.round(g.lastTest.latencyMs)} ms` }
                      : { cls: 'badge', text: 'not tested' };
                return (
                  <li key={g.id} data-testid="overview-gateway">
                    <span className={health.cls}>{health.text}</span>
                    <a href={routeHref('gateways', g.id)}>{g.name}</a>
                    <span className="muted ov-sub">
                      {g.lastSyncAt ? `synced ${new Date(g.lastSyncAt).toLocaleString()}` : 'never synced'}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
        <Card
          title="Audit denials, last 14 days"
          testId="overview-denials"
          href={`${routeHref('audit')}?outcome=denied`}
        >
          {hist.isPending ? (
            <p className="muted">Loading…</p>
          ) : hist.isError ? (
            <p className="muted">Could not load the audit timeline: {hist.error.message}</p>
          ) : hist.data.total === 0 ? (
            <p className="muted">No audit events in the last 14 days.</p>
          ) : (
            <>
              <p className="muted" data-testid="overview-denied-total" data-count={totalDenied}>
                {totalDenied} denied of {hist.data.total} events
              </p>
              <div className="ov-bars" role="img" aria-label={`Denied events per day, ${totalDenied} in total`}>
                {hist.data.buckets.map((b) => (
                  <span
                    key={b.start}
                    className="ov-bar"
                    style={{ height: `${Math.max(2, (b.denied / maxDenied) * 100)}%` }}
                    title={`${new Date(b.start).toLocaleDateString()}: ${b.denied} denied of ${b.count}`}
                  />
                ))}
              </div>
            </>
          )}
        </Card>
      </div>
    </section>
  );
}
