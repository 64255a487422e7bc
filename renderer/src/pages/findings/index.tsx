import { Fragment, useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { readHashQuery, writeHashQuery } from '../../app/url-state.js';
import { routeHref } from '../../app/router.js';
import { CLIENT_IDS } from '../../../../shared/model/discovery.js';
import { SEVERITY_ORDER, type Severity } from '../../../../shared/model/finding.js';
import { isScopeFinding, type AnyFinding } from '../../../../shared/model/tenant.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import { FilterBar, SearchFilter } from '../../components/FilterBar.js';
import { csvCell, downloadText, fileStamp } from '../../lib/export-file.js';
import { clientLabel } from '../../lib/labels.js';
import { FindingDetail } from './FindingDetail.js';
import { BulkFixBar } from './BulkFixBar.js';
import { bulkFixScope } from './bulk-fix.js';
import {
  filterFindings,
  formatSort,
  groupFindings,
  NO_FILTERS,
  originLabel,
  parseSort,
  severityClass,
  sortFindings,
  subjectLabel,
  type FindingFilters,
  type GroupBy,
  type SortKey,
  type SortState,
} from './model.js';
import './findings.css';

const EMPTY: AnyFinding[] = [];

/** Triage starts on what needs action: open findings (suppressed ones on request). */
const DEFAULT_FILTERS: FindingFilters = { ...NO_FILTERS, status: 'open' };

/** Filters, grouping and selection from the URL (`status=all` is the explicit "every status"). */
function initialState(): {
  filters: FindingFilters;
  groupBy: GroupBy;
  selected: string | null;
  sort: SortState | null;
} {
  const q = readHashQuery();
  const status = q.get('status');
  const group = q.get('group');
  const severity = q.get('severity');
  return {
    filters: {
      text: q.get('q') ?? '',
      severity: SEVERITY_ORDER.includes(severity as Severity) ? (severity as Severity) : '',
      ruleId: q.get('rule') ?? '',
      client: q.get('client') ?? '',
      status: status === 'all' ? '' : status === 'suppressed' || status === 'fixed' ? status : 'open',
    },
    groupBy: group === 'rule' || group === 'server' || group === 'client' ? group : 'none',
    selected: q.get('finding'),
    sort: parseSort(q.get('sort')),
  };
}

/**
 * A JSON pointer as the path it names: segments unescaped (`~1` → `/`, `~0` → `~`) and joined
 * with › so a segment holding a slash (`/tmp/x`) stays readable and unambiguous.
 */
export function readablePointer(pointer: string): string {
  if (!pointer) return '(whole file)';
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join(' › ');
}

/** The rows shown, as CSV (Excel-safe: formula-leading cells are prefixed with '). */
function toCsv(rows: readonly AnyFinding[]): string {
  const head = [
    'severity',
    'rule',
    'title',
    'status',
    'client',
    'server',
    'file',
    'line',
    'pointer',
    'evidence',
    'firstSeen',
    'fixedAt',
    'id',
  ];
  const lines = rows.map((f) =>
    [
      f.severity,
      f.ruleId,
      f.title,
      f.status,
      originLabel(f),
      subjectLabel(f),
      f.location.file,
      isScopeFinding(f) ? '' : (f.location.line ?? ''),
      f.location.pointer,
      f.evidence ?? '',
      f.firstSeen,
      'fixedAt' in f ? (f.fixedAt ?? '') : '',
      f.id,
    ]
      .map(csvCell)
      .join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}

/**
 * Findings: credential and configuration findings of the latest scan plus the tenant-scope
 * findings of synced gateways, with suppressions.
 */
export default function FindingsPage() {
  const latest = useAdminQuery('findings.list', {}, { topics: ['gateways'] });
  const sarif = useAdminMutation('findings.sarif');
  const scan = useAdminMutation('findings.scan');
  const suppress = useAdminMutation('findings.suppress');
  const [initial] = useState(initialState);
  const [filters, setFilters] = useState<FindingFilters>(initial.filters);
  const [groupBy, setGroupBy] = useState<GroupBy>(initial.groupBy);
  const [selectedId, setSelectedId] = useState<string | null>(initial.selected);
  const [sort, setSort] = useState<SortState | null>(initial.sort);
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const [bulkReason, setBulkReason] = useState('');
  const [bulkError, setBulkError] = useState<string | null>(null);
  const [bulkBusy, setBulkBusy] = useState(false);

  useEffect(() => {
    writeHashQuery({
      q: filters.text,
      severity: filters.severity,
      rule: filters.ruleId,
      client: filters.client,
      status: filters.status === 'open' ? '' : filters.status || 'all',
      group: groupBy === 'none' ? '' : groupBy,
      finding: selectedId ?? '',
      sort: formatSort(sort),
    });
  }, [filters, groupBy, selectedId, sort]);

  // Fixed findings only when the status filter can show them: the default (open) list shares the
  // nav count's query and paints from its cache.
  const wantFixed = filters.status === 'fixed' || filters.status === '';
  const fixedQ = useAdminQuery('findings.list', { status: 'fixed' }, { enabled: wantFixed });
  const report = latest.data ?? null;
  const fixedRows = wantFixed ? fixedQ.data?.findings : undefined;
  const all = useMemo(
    () => (fixedRows?.length ? [...(report?.findings ?? EMPTY), ...fixedRows] : (report?.findings ?? EMPTY)),
    [report, fixedRows],
  );
  const rows = useMemo(() => sortFindings(filterFindings(all, filters), sort), [all, filters, sort]);
  /** Click a header: ascending, then descending, then back to the service's order. */
  const sortBy = (key: SortKey) =>
    setSort((s) => (s?.key !== key ? { key, dir: 'asc' } : s.dir === 'asc' ? { key, dir: 'desc' } : null));
  const exportSarif = async () => {
    const out = await sarif.mutateAsync({ ids: rows.map((f) => f.id) });
    downloadText(
      `gatehouse-findings-${fileStamp()}.sarif`,
      'application/sarif+json',
      JSON.stringify(out.sarif, null, 2) + '\n',
    );
  };
  const groups = useMemo(() => groupFindings(rows, groupBy), [rows, groupBy]);
  const flat = useMemo(() => groups.flatMap((g) => g.items), [groups]);
  const selected = all.find((f) => f.id === selectedId) ?? null;
  const rulesPresent = useMemo(() => {
    const m = new Map<string, string>();
    for (const f of all) if (!m.has(f.ruleId)) m.set(f.ruleId, f.title);
    return [...m].sort((a, b) => a[1].localeCompare(b[1]));
  }, [all]);
  const checkedRows = flat.filter((f) => checked.has(f.id) && f.status === 'open');
  const toggle = (id: string) =>
    setChecked((c) => {
      const n = new Set(c);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const suppressChecked = async () => {
    setBulkError(null);
    setBulkBusy(true);
    const failed: string[] = [];
    for (const f of checkedRows) {
      try {
        await suppress.mutateAsync({ id: f.id, reason: bulkReason.trim() });
      } catch (err) {
        failed.push(`${f.title}: ${(err as Error).message}`);
      }
    }
    setBulkBusy(false);
    if (failed.length) setBulkError(`${failed.length} not suppressed. ${failed[0] ?? ''}`);
    else {
      setChecked(new Set());
      setBulkReason('');
    }
  };
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
  const filtering = JSON.stringify(filters) !== JSON.stringify(DEFAULT_FILTERS);

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
      {sarif.isError && (
        <div className="callout callout-error" role="alert" data-testid="findings-sarif-error">
          SARIF export failed: {sarif.error.message}
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
          {report
            ? `${report.summary.open} open · ${report.summary.suppressed} suppressed` +
              (report.summary.fixed ? ` · ${report.summary.fixed} fixed` : '')
            : ''}
        </span>
      </div>

      <FilterBar
        label="Filter findings"
        filtering={filtering}
        onClear={() => setFilters(DEFAULT_FILTERS)}
        clearLabel="Reset"
        end={
          <>
            <button
              type="button"
              className="btn"
              data-testid="findings-export-csv"
              disabled={rows.length === 0}
              title="Download the findings shown (after filters) as CSV"
              onClick={() => downloadText(`gatehouse-findings-${fileStamp()}.csv`, 'text/csv', toCsv(rows))}
            >
              Export CSV
            </button>
            <button
              type="button"
              className="btn"
              data-testid="findings-export-json"
              disabled={rows.length === 0}
              title="Download the findings shown (after filters) as JSON"
              onClick={() =>
                downloadText(
                  `gatehouse-findings-${fileStamp()}.json`,
                  'application/json',
                  JSON.stringify(rows, null, 2) + '\n',
                )
              }
            >
              Export JSON
            </button>
            <button
              type="button"
              className="btn"
              data-testid="findings-export-sarif"
              disabled={rows.length === 0 || sarif.isPending}
              title="Download the workstation findings shown as SARIF 2.1.0 (code scanning); gateway scope and fixed findings are left out"
              onClick={() => void exportSarif().catch(() => undefined)}
            >
              Export SARIF
            </button>
            <span className="count" data-testid="findings-count" data-count={rows.length} aria-live="polite">
              {filtering ? `${rows.length} of ${all.length}` : `${all.length}`} finding{all.length === 1 ? '' : 's'}
            </span>
          </>
        }
      >
        <SearchFilter
          label="Filter text"
          placeholder="Filter findings…"
          testId="findings-filter-text"
          value={filters.text}
          onChange={(v) => set('text', v)}
        />
        <FilterSelect
          label="Rule"
          testId="findings-filter-rule"
          value={filters.ruleId}
          onChange={(v) => set('ruleId', v)}
          allLabel="All"
          options={rulesPresent.map(([id, title]) => ({ value: id, label: title }))}
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
            { value: 'fixed', label: 'Fixed' },
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
      </FilterBar>

      {checkedRows.length > 0 && (
        <div className="toolbar findings-bulk" role="group" aria-label="Selected findings" data-testid="findings-bulk">
          <span>{checkedRows.length} selected</span>
          <input
            className="input"
            placeholder="Reason for suppressing (required)"
            aria-label="Reason for suppressing the selected findings"
            value={bulkReason}
            onChange={(e) => setBulkReason(e.target.value)}
            data-testid="findings-bulk-reason"
          />
          <button
            type="button"
            className="btn"
            disabled={!bulkReason.trim() || bulkBusy}
            onClick={() => void suppressChecked()}
            data-testid="findings-bulk-suppress"
          >
            {bulkBusy ? 'Suppressing…' : `Suppress ${checkedRows.length}`}
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => setChecked(new Set())}>
            Clear selection
          </button>
          {bulkError && (
            <span className="badge badge-danger" role="alert">
              {bulkError}
            </span>
          )}
        </div>
      )}

      <BulkFixBar scope={bulkFixScope(rows, filters.ruleId, checked)} />

      <div className={selected ? 'findings-layout with-detail' : 'findings-layout'}>
        <div className="findings-scroll">
          <table className="findings" data-testid="findings-table" aria-label="Findings">
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">Select</span>
                </th>
                <SortHeader col="severity" label="Severity" sort={sort} onSort={sortBy} />
                <SortHeader col="title" label="Finding" sort={sort} onSort={sortBy} />
                <SortHeader col="client" label="Client" sort={sort} onSort={sortBy} />
                <SortHeader col="server" label="Server" sort={sort} onSort={sortBy} />
                <th scope="col">Location</th>
                <th scope="col">Evidence</th>
                <SortHeader col="firstSeen" label="First seen" sort={sort} onSort={sortBy} />
                <SortHeader col="status" label="Status" sort={sort} onSort={sortBy} />
              </tr>
            </thead>
            <tbody>
              {flat.length === 0 && (
                <tr>
                  <td colSpan={9} className="muted" data-testid="findings-empty">
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
                      <td colSpan={9}>
                        {g.key} <span className="muted">({g.items.length})</span>
                      </td>
                    </tr>
                  )}
                  {g.items.map((f) => (
                    <FindingRow
                      key={f.id}
                      f={f}
                      selected={f.id === selectedId}
                      checked={checked.has(f.id)}
                      onCheck={() => toggle(f.id)}
                      isNew={!!report?.scannedAt && f.firstSeen >= report.scannedAt}
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
  checked,
  onCheck,
  isNew,
  onSelect,
  onKeyDown,
}: {
  f: AnyFinding;
  selected: boolean;
  checked: boolean;
  onCheck: () => void;
  isNew: boolean;
  onSelect: () => void;
  onKeyDown: (e: KeyboardEvent<HTMLTableRowElement>) => void;
}) {
  const scope = isScopeFinding(f);
  const loc = scope ? f.location.file : `${f.location.file}${f.location.line ? `:${f.location.line}` : ''}`;
  const subject = subjectLabel(f);
  const fixedAt = 'fixedAt' in f ? f.fixedAt : undefined;
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
      <td onClick={(e) => e.stopPropagation()}>
        {f.status === 'open' && (
          <input
            type="checkbox"
            checked={checked}
            onChange={onCheck}
            aria-label={`Select ${f.title}`}
            data-testid="finding-check"
          />
        )}
      </td>
      <td>
        <span className={severityClass(f.severity as Severity)}>{f.severity}</span>
      </td>
      <td data-testid="finding-title">
        {f.title}
        {isNew && (
          <span
            className="badge badge-accent finding-new"
            title="First seen in the latest scan"
            data-testid="finding-new"
          >
            new
          </span>
        )}
        <div className="faint mono">
          {f.ruleId}
          {!scope && f.secretType ? ` · ${f.secretType}` : null}
        </div>
      </td>
      <td data-testid="finding-origin">
        {originLabel(f)}
        {scope && <div className="faint">gateway</div>}
      </td>
      <td data-testid="finding-subject">
        {!scope && f.serverId && subject ? (
          <a href={routeHref('servers', f.serverId)} onClick={(e) => e.stopPropagation()} title={`Open ${subject}`}>
            {subject}
          </a>
        ) : (
          subject || <span className="faint">—</span>
        )}
      </td>
      <td className="mono">
        <div className="finding-loc" title={loc}>
          <bdi>{loc}</bdi>
        </div>
        <div className="faint" title={`JSON pointer: ${f.location.pointer}`} data-testid="finding-path">
          {readablePointer(f.location.pointer)}
        </div>
      </td>
      <td className="mono" data-testid="finding-evidence">
        {f.evidence ?? <span className="faint">—</span>}
      </td>
      <td title={f.firstSeen}>{new Date(f.firstSeen).toLocaleDateString()}</td>
      <td data-testid="finding-status">
        {f.status === 'suppressed' ? (
          <span className="badge badge-warn">suppressed</span>
        ) : f.status === 'fixed' ? (
          <span className="badge badge-ok" title={fixedAt ? `No longer reported by the scan of ${fixedAt}` : undefined}>
            fixed{' '}
            {fixedAt && (
              <time dateTime={fixedAt} data-testid="finding-fixed-at">
                {new Date(fixedAt).toLocaleString()}
              </time>
            )}
          </span>
        ) : (
          <span className="badge">open</span>
        )}
      </td>
    </tr>
  );
}

/** A column header that sorts (aria-sort says how; the button is the keyboard target). */
function SortHeader({
  col,
  label,
  sort,
  onSort,
}: {
  col: SortKey;
  label: string;
  sort: SortState | null;
  onSort: (k: SortKey) => void;
}) {
  const active = sort?.key === col ? sort.dir : null;
  return (
    <th
      scope="col"
      aria-sort={active === 'asc' ? 'ascending' : active === 'desc' ? 'descending' : 'none'}
      data-testid={`findings-sort-${col}`}
    >
      <button type="button" className="th-sort" onClick={() => onSort(col)}>
        {label}
        <span aria-hidden="true" className="th-sort-mark">
          {active === 'asc' ? '▲' : active === 'desc' ? '▼' : ''}
        </span>
      </button>
    </th>
  );
}
