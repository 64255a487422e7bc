import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { readHashQuery, writeHashQuery } from '../../app/url-state.js';
import { useAdminQuery } from '../../client/index.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import { FilterBar, SearchFilter } from '../../components/FilterBar.js';
import { downloadText, fileStamp } from '../../lib/export-file.js';
import {
  apiFilter,
  FLEET_TABS,
  filtersFromQuery,
  NO_FILTERS,
  parseTab,
  SEVERITIES,
  TAB_FILTERS,
  toCsv,
  type FleetFilters,
  type FleetTab,
} from './model.js';
import './fleet.css';

type Row = Record<string, unknown>;
interface Column {
  key: string;
  label: string;
  num?: boolean;
  render?: (row: Row) => ReactNode;
}

const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');
const when = (v: unknown) => (typeof v === 'string' ? new Date(v).toLocaleString() : '');
const sev = (row: Row) => <span className={`fleet-sev sev-${String(row.severity)}`}>{String(row.severity)}</span>;

const COLUMNS: Record<FleetTab, Column[]> = {
  machines: [
    { key: 'hostname', label: 'Host' },
    { key: 'machineId', label: 'Machine id' },
    { key: 'osUser', label: 'User' },
    { key: 'platform', label: 'Platform' },
    { key: 'lastScanAt', label: 'Last scan', render: (r) => when(r.lastScanAt) },
    { key: 'daysSinceReport', label: 'Days', num: true },
    { key: 'serverCount', label: 'Servers', num: true },
    { key: 'openFindings', label: 'Open', num: true },
    { key: 'critical', label: 'Crit', num: true },
    { key: 'high', label: 'High', num: true },
    { key: 'medium', label: 'Med', num: true },
    { key: 'low', label: 'Low', num: true },
  ],
  servers: [
    { key: 'name', label: 'Server' },
    { key: 'package', label: 'Package' },
    { key: 'version', label: 'Version' },
    { key: 'transport', label: 'Transport' },
    { key: 'machineCount', label: 'Machines', num: true },
    { key: 'machines', label: 'On', render: (r) => list(r.machines) },
  ],
  findings: [
    { key: 'severity', label: 'Severity', render: sev },
    { key: 'ruleId', label: 'Rule' },
    { key: 'title', label: 'Title' },
    { key: 'hostname', label: 'Host' },
    { key: 'server', label: 'Server' },
    { key: 'client', label: 'Client' },
    { key: 'file', label: 'File' },
    { key: 'pointer', label: 'Pointer' },
    { key: 'evidence', label: 'Evidence' },
  ],
  credentials: [
    { key: 'fingerprint', label: 'Fingerprint' },
    { key: 'secretType', label: 'Type' },
    { key: 'evidence', label: 'Evidence' },
    { key: 'machineCount', label: 'Machines', num: true },
    { key: 'findingCount', label: 'Findings', num: true },
    { key: 'machines', label: 'On', render: (r) => list(r.machines) },
  ],
  trend: [
    { key: 'day', label: 'Day (UTC)' },
    { key: 'openFindings', label: 'Open findings', num: true },
    { key: 'machines', label: 'Machines reporting', num: true },
  ],
};

/** Shown when Gatehouse has no team store URL: how to set one up and get reports into it. */
function NotConfigured() {
  return (
    <div className="panel fleet-empty" data-testid="fleet-not-configured">
      <h2>No team store configured</h2>
      <p>
        The Fleet view reads what workstations report to a shared PostgreSQL database (the team store). None is
        configured for this Gatehouse.
      </p>
      <ol>
        <li>
          Create the schema once, as the database owner:{' '}
          <code>gatehouse fleet migrate --database-url postgres://…</code>
        </li>
        <li>
          On each workstation, report its scans: <code>gatehouse scan --report-to postgres://…</code> (or set{' '}
          <code>GATEHOUSE_DATABASE_URL</code> and pass <code>--report-to</code> without typing the password).
        </li>
        <li>
          Start Gatehouse with <code>GATEHOUSE_DATABASE_URL=postgres://…</code> (an admin role) to see the fleet here.
        </li>
      </ol>
    </div>
  );
}

/** One tab's rows from the team store, as a dense table with CSV export. */
function FleetTable({ tab, filters }: { tab: FleetTab; filters: FleetFilters }) {
  const input = apiFilter(tab, filters);
  const q = useAdminQuery(`fleet.${tab}`, input, { topics: ['fleet'] });
  const rows: Row[] = useMemo(() => {
    const data = (q.data ?? []) as Row[];
    if (tab !== 'machines') return data;
    return data.map((m) => ({ ...m, ...(m.bySeverity as Row) }));
  }, [q.data, tab]);
  const cols = COLUMNS[tab];
  const max = tab === 'trend' ? Math.max(1, ...rows.map((r) => Number(r.openFindings) || 0)) : 1;

  if (q.isError)
    return (
      <div className="callout callout-error" role="alert" data-testid="fleet-error">
        {q.error.message}
      </div>
    );
  return (
    <>
      <div className="fleet-bar">
        <span className="muted" data-testid="fleet-count" data-count={q.data ? rows.length : ''}>
          {q.isPending ? 'Loading…' : `${rows.length.toLocaleString()} row${rows.length === 1 ? '' : 's'}`}
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="btn"
          data-testid="fleet-export"
          disabled={!rows.length}
          onClick={() =>
            downloadText(
              `gatehouse-fleet-${tab}-${fileStamp()}.csv`,
              'text/csv',
              toCsv(
                rows,
                cols.map((c) => c.key),
              ),
            )
          }
        >
          Export CSV
        </button>
      </div>
      <div className="fleet-scroll">
        <table className="fleet-table" data-testid={`fleet-table-${tab}`}>
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c.key} className={c.num ? 'num' : undefined} scope="col">
                  {c.label}
                </th>
              ))}
              {tab === 'trend' && <th scope="col" className="fleet-trend-col" aria-label="Chart" />}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i} data-testid="fleet-row">
                {cols.map((c) => (
                  <td key={c.key} className={c.num ? 'num' : undefined}>
                    {c.render
                      ? c.render(r)
                      : r[c.key] === null || r[c.key] === undefined
                        ? ''
                        : String(r[c.key] as string)}
                  </td>
                ))}
                {tab === 'trend' && (
                  <td className="fleet-trend-col">
                    <span className="fleet-trend-bar" style={{ width: `${(Number(r.openFindings) / max) * 100}%` }} />
                  </td>
                )}
              </tr>
            ))}
            {q.data && rows.length === 0 && (
              <tr>
                <td colSpan={cols.length + (tab === 'trend' ? 1 : 0)} className="muted" data-testid="fleet-no-rows">
                  Nothing matches{Object.keys(input).length ? ' these filters' : ' yet: no workstation has reported'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * Fleet: machines × servers × findings across the team, from the team store (PostgreSQL) the
 * workstations report to (`gatehouse scan --report-to`). Tab and filters live in the URL.
 */
export default function FleetPage() {
  const status = useAdminQuery('fleet.status', {}, { topics: ['fleet'] });
  const [tab, setTab] = useState<FleetTab>(() => parseTab(readHashQuery().get('tab')));
  const [draft, setDraft] = useState<FleetFilters>(() => filtersFromQuery(readHashQuery()));
  const [filters, setFilters] = useState<FleetFilters>(draft);

  // Typing settles before it queries.
  useEffect(() => {
    const t = setTimeout(() => setFilters(draft), 300);
    return () => clearTimeout(t);
  }, [draft]);
  useEffect(() => {
    writeHashQuery({ tab: tab === 'machines' ? '' : tab, ...filters });
  }, [tab, filters]);

  const set = (k: keyof FleetFilters, v: string) => setDraft((f) => ({ ...f, [k]: v }));
  const uses = new Set(TAB_FILTERS[tab]);
  const filtering = JSON.stringify(draft) !== JSON.stringify(NO_FILTERS);

  return (
    <section className="page page-fill" data-testid="page-fleet" aria-labelledby="fleet-title">
      <header className="page-header">
        <h1 id="fleet-title">Fleet</h1>
        {status.data?.configured && (
          <span className="page-sub" data-testid="fleet-store">
            Team store {status.data.display}
          </span>
        )}
      </header>
      {status.isError && (
        <div className="callout callout-error" role="alert">
          {status.error.message}
        </div>
      )}
      {status.data && !status.data.configured && <NotConfigured />}
      {status.data?.configured && (
        <>
          <div className="gh-tabs" role="tablist" aria-label="Fleet views">
            {FLEET_TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                className="gh-tab"
                aria-selected={tab === t.id}
                data-testid={`fleet-tab-${t.id}`}
                onClick={() => setTab(t.id)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <FilterBar
            label="Filter the fleet"
            filtering={filtering}
            onClear={() => setDraft(NO_FILTERS)}
            clearLabel="Clear filters"
            clearTestId="fleet-clear"
          >
            <SearchFilter
              wide={false}
              label="Server"
              placeholder="Server name"
              testId="fleet-filter-server"
              value={draft.server}
              onChange={(v) => set('server', v)}
            />
            <SearchFilter
              wide={false}
              label="Package"
              placeholder="package@version"
              testId="fleet-filter-pkg"
              value={draft.pkg}
              onChange={(v) => set('pkg', v)}
            />
            {uses.has('rule') && (
              <SearchFilter
                wide={false}
                label="Rule"
                placeholder="Rule id"
                testId="fleet-filter-rule"
                value={draft.rule}
                onChange={(v) => set('rule', v)}
              />
            )}
            {uses.has('severity') && (
              <FilterSelect
                label="Severity"
                testId="fleet-filter-severity"
                value={draft.severity}
                onChange={(v) => set('severity', v)}
                allLabel="All"
                options={SEVERITIES.map((s) => ({ value: s, label: s }))}
              />
            )}
            {uses.has('stale') && (
              <label className="field-label">
                Stale ≥
                <input
                  className="input fleet-days"
                  type="number"
                  min={0}
                  aria-label="Stale days"
                  data-testid="fleet-filter-stale"
                  value={draft.stale}
                  onChange={(e) => set('stale', e.target.value)}
                />
                days
              </label>
            )}
          </FilterBar>
          <div role="tabpanel" className="fleet-panel">
            <FleetTable tab={tab} filters={filters} />
          </div>
        </>
      )}
    </section>
  );
}
