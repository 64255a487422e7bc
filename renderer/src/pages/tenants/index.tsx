import { Fragment, useMemo, useState } from 'react';
import type { AccessCell, AccessMatrix, AccessStatus, ScopeFinding } from '../../../../shared/model/tenant.js';
import { navigate } from '../../app/router.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import '../gateways/gateways.css';

type StatusFilter = '' | AccessStatus;
const STATUS_LABEL: Record<AccessStatus, string> = { allowed: 'allowed', denied: 'denied', partial: 'partial' };
const STEP_MARK = { grant: '✓', deny: '✗', info: '·' } as const;

/**
 * Tenants: the effective-access matrix of a gateway (rows: teams; columns: virtual servers,
 * expandable to their tools), a "why" panel for the selected cell, and the scope findings.
 */
export default function TenantsPage() {
  const access = useAdminQuery('gateways.access', {}, { topics: ['gateways'] });
  const findings = useAdminQuery('gateways.findings', {}, { topics: ['gateways'] });
  const sync = useAdminMutation('gateways.sync');
  const matrices = access.data ?? [];
  const [gatewayId, setGatewayId] = useState('');
  const matrix = matrices.find((m) => m.gatewayId === gatewayId) ?? matrices[0];

  return (
    <section className="page gw-page" data-testid="page-tenants" aria-labelledby="tenants-title">
      <header className="page-header">
        <h1 id="tenants-title">Tenants</h1>
        <span className="page-sub">which team can reach which tool, and why</span>
        <span className="spacer" />
        {matrices.length > 1 && (
          <FilterSelect
            label="Gateway"
            testId="tenants-gateway"
            value={matrix?.gatewayId ?? ''}
            onChange={setGatewayId}
            options={matrices.map((m) => ({ value: m.gatewayId, label: m.gatewayName }))}
          />
        )}
        {matrix && (
          <span className="muted" data-testid="tenants-fetched">
            snapshot {new Date(matrix.fetchedAt).toLocaleString()}
          </span>
        )}
        <button
          type="button"
          className="btn"
          data-testid="tenants-sync"
          disabled={sync.isPending}
          onClick={() => sync.mutate({})}
        >
          {sync.isPending ? 'Syncing…' : 'Sync gateways'}
        </button>
      </header>
      {access.isError && (
        <div className="callout callout-error" role="alert">
          Could not compute access: {access.error.message}
        </div>
      )}
      {sync.data?.some((r) => !r.ok) && (
        <div className="callout callout-error" role="alert">
          {sync.data
            .filter((r) => !r.ok)
            .map((r) => r.message)
            .join('; ')}
        </div>
      )}
      {access.data && !matrix && (
        <div className="callout" data-testid="tenants-empty">
          No gateway snapshot yet.{' '}
          <button type="button" className="btn btn-ghost" onClick={() => navigate('gateways')}>
            Add or sync a gateway
          </button>
        </div>
      )}
      {matrix && (
        <MatrixView
          key={matrix.gatewayId}
          matrix={matrix}
          findings={(findings.data ?? []).filter((f) => f.gatewayId === matrix.gatewayId)}
        />
      )}
    </section>
  );
}

function MatrixView({ matrix, findings }: { matrix: AccessMatrix; findings: ScopeFinding[] }) {
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [teamFilter, setTeamFilter] = useState('');
  const [serverFilter, setServerFilter] = useState('');
  const [statusFilter, setStatusFilter] = useState<StatusFilter>('');
  const [selected, setSelected] = useState<{ teamId: string; serverId: string; toolId?: string } | null>(null);

  const cellIndex = useMemo(() => {
    const m = new Map<string, AccessCell>();
    for (const c of matrix.cells) m.set(`${c.teamId}|${c.serverId}|${c.toolId ?? ''}`, c);
    return m;
  }, [matrix]);
  const cellOf = (teamId: string, serverId: string, toolId?: string) =>
    cellIndex.get(`${teamId}|${serverId}|${toolId ?? ''}`);

  const teams = matrix.teams.filter((t) => !teamFilter || t.id === teamFilter);
  const text = serverFilter.trim().toLowerCase();
  const servers = matrix.servers.filter(
    (s) => !text || s.name.toLowerCase().includes(text) || s.tools.some((t) => t.name.toLowerCase().includes(text)),
  );
  const visibleTeams = teams.filter(
    (t) => !statusFilter || servers.some((s) => cellOf(t.id, s.id)?.status === statusFilter),
  );
  const sel = selected ? cellOf(selected.teamId, selected.serverId, selected.toolId) : undefined;
  const selTeam = matrix.teams.find((t) => t.id === selected?.teamId);
  const selServer = matrix.servers.find((s) => s.id === selected?.serverId);
  const selTool = selServer?.tools.find((t) => t.id === selected?.toolId);

  const toggle = (id: string) =>
    setExpanded((cur) => {
      const next = new Set(cur);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <>
      <div className="toolbar" role="search" aria-label="Filter the matrix">
        <FilterSelect
          label="Team"
          testId="tenants-filter-team"
          value={teamFilter}
          onChange={setTeamFilter}
          allLabel="All teams"
          options={matrix.teams.map((t) => ({ value: t.id, label: t.name }))}
        />
        <input
          className="input input-search"
          type="search"
          placeholder="Filter servers or tools…"
          aria-label="Filter servers or tools"
          data-testid="tenants-filter-server"
          value={serverFilter}
          onChange={(e) => setServerFilter(e.target.value)}
        />
        <FilterSelect<StatusFilter>
          label="Status"
          testId="tenants-filter-status"
          value={statusFilter}
          onChange={setStatusFilter}
          allLabel="Any"
          options={[
            { value: 'allowed', label: 'Allowed' },
            { value: 'partial', label: 'Partial' },
            { value: 'denied', label: 'Denied' },
          ]}
        />
        <span className="spacer" />
        <span className="count">
          {matrix.teams.length} teams · {matrix.servers.length} virtual servers
        </span>
      </div>

      <div className="tn-layout">
        <div className="tn-matrix-wrap">
          <table
            className="tn-matrix"
            data-testid="tenants-matrix"
            aria-label="Team access to virtual servers and tools"
          >
            <thead>
              <tr>
                <th className="tn-team" scope="col">
                  Team
                </th>
                {servers.map((s) => (
                  <Fragment key={s.id}>
                    <th scope="col" data-testid="tenants-server-col" data-name={s.name}>
                      <button
                        type="button"
                        className="btn btn-ghost"
                        aria-expanded={expanded.has(s.id)}
                        data-testid={`tenants-expand-${s.name}`}
                        title={`${s.visibility}${s.teamName ? ` · ${s.teamName}` : ''} — ${s.tools.length} tools`}
                        onClick={() => toggle(s.id)}
                      >
                        {expanded.has(s.id) ? '▾' : '▸'} {s.name}
                      </button>
                      <div className="faint">
                        {s.visibility}
                        {s.teamName ? ` · ${s.teamName}` : ''}
                      </div>
                    </th>
                    {expanded.has(s.id) &&
                      s.tools.map((t) => (
                        <th key={t.id} scope="col" className="tn-tool" data-testid="tenants-tool-col" title={t.name}>
                          {t.name}
                          {t.destructive ? ' ⚠' : ''}
                        </th>
                      ))}
                  </Fragment>
                ))}
              </tr>
            </thead>
            <tbody>
              {visibleTeams.map((team) => (
                <tr key={team.id} data-testid="tenants-row" data-team={team.name}>
                  <th className="tn-team" scope="row">
                    {team.name} <span className="faint">({team.memberCount})</span>
                  </th>
                  {servers.map((s) => (
                    <Fragment key={s.id}>
                      <td>
                        <CellButton
                          cell={cellOf(team.id, s.id)}
                          label={`${team.name} → ${s.name}`}
                          pressed={selected?.teamId === team.id && selected.serverId === s.id && !selected.toolId}
                          dim={!!statusFilter && cellOf(team.id, s.id)?.status !== statusFilter}
                          onClick={() => setSelected({ teamId: team.id, serverId: s.id })}
                        />
                      </td>
                      {expanded.has(s.id) &&
                        s.tools.map((t) => (
                          <td key={t.id}>
                            <CellButton
                              cell={cellOf(team.id, s.id, t.id)}
                              label={`${team.name} → ${s.name} → ${t.name}`}
                              pressed={
                                selected?.teamId === team.id && selected.serverId === s.id && selected.toolId === t.id
                              }
                              dim={!!statusFilter && cellOf(team.id, s.id, t.id)?.status !== statusFilter}
                              onClick={() => setSelected({ teamId: team.id, serverId: s.id, toolId: t.id })}
                            />
                          </td>
                        ))}
                    </Fragment>
                  ))}
                </tr>
              ))}
              {visibleTeams.length === 0 && (
                <tr>
                  <td colSpan={1 + servers.length} className="muted">
                    No team matches the filters.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>

        <aside className="panel tn-why" data-testid="tenants-why" aria-live="polite" aria-label="Why">
          <header className="panel-head">
            <h2 className="gw-section-title">Why</h2>
            {sel && (
              <span className={`tn-cell tn-${sel.status}`} data-testid="tenants-why-status">
                {STATUS_LABEL[sel.status]}
              </span>
            )}
          </header>
          {!sel && (
            <p className="muted" style={{ padding: '8px 10px' }}>
              Select a cell to see the chain that grants or denies it.
            </p>
          )}
          {sel && (
            <>
              <p style={{ padding: '8px 10px 0', margin: 0 }} data-testid="tenants-why-subject">
                <strong>{selTeam?.name}</strong> → <strong>{selServer?.name}</strong>
                {selTool && (
                  <>
                    {' '}
                    → <span className="mono">{selTool.name}</span>
                  </>
                )}
              </p>
              <ol data-testid="tenants-why-chain">
                {sel.chain.map((step, i) => (
                  <li key={i} data-kind={step.kind} data-outcome={step.outcome}>
                    <span className="tn-step-kind">{step.kind}</span>{' '}
                    <span className={`tn-step-${step.outcome}`} aria-label={step.outcome}>
                      {STEP_MARK[step.outcome]}
                    </span>{' '}
                    {step.text}
                  </li>
                ))}
              </ol>
              {sel.principals.length > 0 && (
                <p className="muted" style={{ padding: '0 10px 8px', margin: 0 }}>
                  Reachable by: {sel.principals.join(', ')}
                </p>
              )}
            </>
          )}
        </aside>
      </div>

      <section className="panel" aria-labelledby="tn-findings-title" data-testid="tenants-findings">
        <header className="panel-head">
          <h2 id="tn-findings-title" className="gw-section-title">
            Scope findings
          </h2>
          <span className="muted">{findings.length}</span>
        </header>
        <div className="tn-findings">
          {findings.length === 0 && (
            <p className="muted" style={{ padding: '8px 10px' }}>
              No scope findings.
            </p>
          )}
          {findings.map((f) => (
            <article
              key={f.id}
              className="tn-finding"
              data-testid="tenants-finding"
              data-rule={f.ruleId}
              data-id={f.id}
            >
              <div className="tn-finding-title">
                <span className={`tn-sev tn-sev-${f.severity}`}>{f.severity}</span>
                <span className="mono faint">{f.ruleId}</span>
                <span>{f.title}</span>
                {f.status === 'suppressed' && (
                  <span
                    className="badge badge-warn"
                    data-testid="tenants-finding-suppressed"
                    title={f.suppression?.reason}
                  >
                    suppressed
                  </span>
                )}
              </div>
              <div>{f.message}</div>
              <div className="muted">Fix: {f.remediation}</div>
            </article>
          ))}
        </div>
      </section>
    </>
  );
}

function CellButton(props: { cell?: AccessCell; label: string; pressed: boolean; dim: boolean; onClick(): void }) {
  const { cell } = props;
  if (!cell) return <span className="faint">—</span>;
  return (
    <button
      type="button"
      className={`tn-cell tn-${cell.status}`}
      style={props.dim ? { opacity: 0.35 } : undefined}
      aria-pressed={props.pressed}
      aria-label={`${props.label}: ${cell.status}. Show why`}
      data-testid="tenants-cell"
      data-status={cell.status}
      onClick={props.onClick}
    >
      {STATUS_LABEL[cell.status]}
      {cell.principals.length > 0 ? ` ${cell.principals.length}` : ''}
    </button>
  );
}
