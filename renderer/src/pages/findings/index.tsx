import { Fragment, useMemo, useState, type KeyboardEvent } from 'react';
import { CLIENT_IDS } from '../../../../shared/model/discovery.js';
import { SEVERITY_ORDER, type Severity } from '../../../../shared/model/finding.js';
import { isScopeFinding, type AnyFinding } from '../../../../shared/model/tenant.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import { clientLabel } from '../../lib/labels.js';
import { FindingDetail } from './FindingDetail.js';
import {
  filterFindings,
  groupFindings,
  NO_FILTERS,
  originLabel,
  severityClass,
  subjectLabel,
  type FindingFilters,
  type GroupBy,
} from './model.js';
import './findings.css';

const EMPTY: AnyFinding[] = [];

/**
 * Findings: credential and configuration findings of the latest scan plus the tenant-scope
 * findings of synced gateways, with suppressions.
 */
export default function FindingsPage() {
  const latest = useAdminQuery('findings.list', {}, { topics: ['gateways'] });
  const scan = useAdminMutation('findings.scan');
  const [filters, setFilters] = useState<FindingFilters>(NO_FILTERS);
  const [groupBy, setGroupBy] = useState<GroupBy>('none');
  const [selectedId, setSelectedId] = useState<string | null>(null);

  const report = latest.data ?? null;
  const all = report?.findings ?? EMPTY;
  const rows = useMemo(() => filterFindings(all, filters), [all, filters]);
  const groups = useMemo(() => groupFindings(rows, groupBy), [rows, groupBy]);
  const flat = useMemo(() => groups.flatMap((g) => g.items), [groups]);
  const selected = all.find((f) => f.id === selectedId) ?? null;
  const rulesPresent = useMemo(() => [...new Set(all.map((f) => f.ruleId))].sort(), [all]);
  const clientsPresent = useMemo(
    () => CLIENT_IDS.filter((c) => all.some((f) => !isScopeFinding(f) && f.client === c)),
    [all],
  );
  const gatewaysPresent = useMemo(() => {
    const m = new Map<string, string>();
    for (const f of all) if (isScopeFinding(f)) m.set(f.gatewayId, f.gatewayName);
    return [...m].sort((a, b) => a[1].localeCompare(b[1]));
  }, [all]);
  const set = <K extends keyof FindingFilters>(k: K, v: FindingFilters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const filtering = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  const onRowKey = (e: KeyboardEvent<HTMLTableRowElement>, f: AnyFinding) => {
    const i = flat.findIndex((x) => x.id === f.id);
    const focusRow = (j: number) => {
      const next = flat[Math.max(0, Math.min(j, flat.length - 1))];
      if (!next) return;
      document.querySelector<HTMLElement>(`[data-testid="finding-row"][data-id="${next.id}"]`)?.focus();
    };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      setSelectedId(f.id);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusRow(i + 1);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      focusRow(i - 1);
    } else if (e.key === 'Escape') {
      setSelectedId(null);
    }
  };

  return (
    <section className="page page-fill" data-testid="page-findings" aria-labelledby="findings-title">
      <header className="page-header">
        <h1 id="findings-title">Findings</h1>
        {report?.scannedAt && (
          <span className="page-sub" data-testid="findings-scanned-at">
            Findings scan #{report.scanId} · {new Date(report.scannedAt).toLocaleString()}
            {report.durationMs !== undefined ? ` · ${Math.round(report.durationMs)} ms` : ''}
          </span>
        )}
        {!!report?.gateways.length && (
          <span
            className="page-sub"
            data-testid="findings-gateways"
            title="Scope findings from these gateway snapshots"
          >
            + {report.gateways.length === 1 ? 'gateway' : `${report.gateways.length} gateways`}{' '}
            {report.gateways.map((g) => g.name).join(', ')}
          </span>
        )}
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-primary"
          data-testid="findings-scan-button"
          aria-busy={scan.isPending}
          disabled={scan.isPending}
          onClick={() => scan.mutate({})}
        >
          {scan.isPending ? 'Scanning…' : report?.scanId ? 'Rescan' : 'Scan'}
        </button>
      </header>

      {report?.secretStore.warning && (
        <div className="callout callout-warn" role="note" data-testid="secret-store-warning">
          {report.secretStore.warning}
        </div>
      )}
      {scan.isError && (
        <div className="callout callout-error" role="alert" data-testid="findings-scan-error">
          Scan failed: {scan.error.message}
        </div>
      )}
      {latest.isError && (
        <div className="callout callout-error" role="alert">
          Could not load findings: {latest.error.message}
        </div>
      )}
      {report?.errors?.map((e) => (
        <div key={e} className="callout callout-error" role="alert">
          {e}
        </div>
      ))}

      <div
        className="severity-summary"
        data-testid="severity-summary"
        role="group"
        aria-label="Open findings by severity"
      >
        {SEVERITY_ORDER.map((s) => (
          <button
            key={s}
            type="button"
            data-severity={s}
            data-count={report?.summary.bySeverity[s] ?? 0}
            aria-pressed={filters.severity === s}
            title={`Show only ${s} findings`}
            onClick={() => set('severity', filters.severity === s ? '' : s)}
          >
            <span className={severityClass(s)}>{s}</span>
            <span className="sev-count">{report?.summary.bySeverity[s] ?? 0}</span>
          </button>
        ))}
        <span className="muted" style={{ alignSelf: 'center' }} data-testid="findings-totals">
          {report ? `${report.summary.open} open · ${report.summary.suppressed} suppressed` : ''}
        </span>
      </div>

      <div className="toolbar" role="search" aria-label="Filter findings">
        <input
          className="input input-search"
          type="search"
          placeholder="Filter findings…"
          aria-label="Filter text"
          data-testid="findings-filter-text"
          value={filters.text}
          onChange={(e) => set('text', e.target.value)}
        />
        <FilterSelect
          label="Rule"
          testId="findings-filter-rule"
          value={filters.ruleId}
          onChange={(v) => set('ruleId', v)}
          allLabel="All"
          options={rulesPresent.map((r) => ({ value: r, label: r }))}
        />
        <FilterSelect
          label="Client"
          testId="findings-filter-client"
          value={filters.client}
          onChange={(v) => set('client', v)}
          allLabel="All"
          options={[
            ...clientsPresent.map((c) => ({ value: c, label: clientLabel(c) })),
            ...gatewaysPresent.map(([id, name]) => ({ value: `gw:${id}`, label: `Gateway ${name}` })),
          ]}
        />
        <FilterSelect<FindingFilters['status']>
          label="Status"
          testId="findings-filter-status"
          value={filters.status}
          onChange={(v) => set('status', v)}
          allLabel="All"
          options={[
            { value: 'open', label: 'Open' },
            { value: 'suppressed', label: 'Suppressed' },
          ]}
        />
        <FilterSelect<GroupBy>
          label="Group by"
          testId="findings-group-by"
          value={groupBy}
          onChange={setGroupBy}
          options={[
            { value: 'none', label: 'Nothing' },
            { value: 'rule', label: 'Rule' },
            { value: 'server', label: 'Server' },
            { value: 'client', label: 'Client' },
          ]}
        />
        {filtering && (
          <button type="button" className="btn btn-ghost" onClick={() => setFilters(NO_FILTERS)}>
            Clear
          </button>
        )}
        <span className="spacer" />
        <span className="count" data-testid="findings-count" data-count={rows.length} aria-live="polite">
          {filtering ? `${rows.length} of ${all.length}` : `${all.length}`} finding{all.length === 1 ? '' : 's'}
        </span>
      </div>

      <div className={selected ? 'findings-layout with-detail' : 'findings-layout'}>
        <div className="findings-scroll">
          <table className="findings" data-testid="findings-table" aria-label="Findings">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Rule</th>
                <th scope="col">Client</th>
                <th scope="col">Server</th>
                <th scope="col">Location</th>
                <th scope="col">Evidence</th>
                <th scope="col">First seen</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {flat.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted" data-testid="findings-empty">
                    {latest.isPending
                      ? 'Loading…'
                      : !report?.scanId && all.length === 0
                        ? 'No scan yet. Use Scan to check the configured MCP servers for exposed credentials and risky settings.'
                        : all.length === 0
                          ? 'No findings: nothing exposed or risky was found.'
                          : 'No findings match the filters.'}
                  </td>
                </tr>
              )}
              {groups.map((g) => (
                <Fragment key={g.key || 'all'}>
                  {groupBy !== 'none' && (
                    <tr className="group-row" data-testid="findings-group">
                      <td colSpan={8}>
                        {g.key} <span className="muted">({g.items.length})</span>
                      </td>
                    </tr>
                  )}
                  {g.items.map((f) => (
                    <FindingRow
                      key={f.id}
                      f={f}
                      selected={f.id === selectedId}
                      onSelect={() => setSelectedId(f.id)}
                      onKeyDown={(e) => onRowKey(e, f)}
                    />
                  ))}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
        {selected && <FindingDetail finding={selected} onClose={() => setSelectedId(null)} />}
      </div>
    </section>
  );
}

function FindingRow({
  f,
  selected,
  onSelect,
  onKeyDown,
}: {
  f: AnyFinding;
  selected: boolean;
  onSelect: () => void;
  onKeyDown: (e: KeyboardEvent<HTMLTableRowElement>) => void;
}) {
  const scope = isScopeFinding(f);
  const loc = scope ? f.location.file : `${f.location.file}${f.location.line ? `:${f.location.line}` : ''}`;
  const subject = subjectLabel(f);
  return (
    <tr
      className="finding-row"
      data-testid="finding-row"
      data-source={scope ? 'gateway' : 'workstation'}
      data-id={f.id}
      data-rule={f.ruleId}
      data-status={f.status}
      data-severity={f.severity}
      aria-selected={selected}
      tabIndex={0}
      onClick={onSelect}
      onKeyDown={onKeyDown}
    >
      <td>
        <span className={severityClass(f.severity as Severity)}>{f.severity}</span>
      </td>
      <td className="mono" title={f.title}>
        {f.ruleId}
        {!scope && f.secretType ? <div className="faint">{f.secretType}</div> : null}
      </td>
      <td data-testid="finding-origin">
        {originLabel(f)}
        {scope && <div className="faint">gateway</div>}
      </td>
      <td data-testid="finding-subject">{subject || <span className="faint">—</span>}</td>
      <td className="mono">
        <div className="finding-loc" title={loc}>
          <bdi>{loc}</bdi>
        </div>
        <div className="faint" title={f.location.pointer}>
          {f.location.pointer || '(whole file)'}
        </div>
      </td>
      <td className="mono" data-testid="finding-evidence">
        {f.evidence ?? <span className="faint">—</span>}
      </td>
      <td title={f.firstSeen}>{new Date(f.firstSeen).toLocaleDateString()}</td>
      <td>
        {f.status === 'suppressed' ? (
          <span className="badge badge-warn">suppressed</span>
        ) : (
          <span className="badge">open</span>
        )}
      </td>
    </tr>
  );
}
