import { Fragment, useMemo, useState } from 'react';
import { SEVERITY_ORDER } from '../../../../shared/model/finding.js';
import type { GatewaySnapshot } from '../../../../shared/model/gateway.js';
import type { AccessCell, AccessMatrix, AccessStatus, ScopeFinding } from '../../../../shared/model/tenant.js';
import { navigate, routeHref } from '../../app/router.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import '../gateways/gateways.css';
import './tenants.css';

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
  const snapshot = useAdminQuery(
    'gateways.snapshot',
    { id: matrix?.gatewayId ?? '' },
    { topics: ['gateways'], enabled: !!matrix },
  );

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
          snapshot={snapshot.data ?? null}
          findings={(findings.data ?? []).filter((f) => f.gatewayId === matrix.gatewayId)}
        />
      )}
    </section>
  );
}

/** Who bypasses team scoping altogether: platform admins, and active tokens not limited to a team or permissions. */
function bypassOf(snap: GatewaySnapshot | null) {
  if (!snap) return { admins: [] as string[], tokens: [] as { name: string; owner: string }[] };
  const admins = snap.users.filter((u) => u.isAdmin && u.active).map((u) => u.email);
  const adminSet = new Set(admins);
  const tokens = snap.tokens
    .filter((t) => t.active && !t.revoked && !t.teamId && t.permissions.length === 0 && adminSet.has(t.userEmail))
    .map((t) => ({ name: t.name, owner: t.userEmail }));
  return { admins, tokens };
}

/** Team ids in gateway text replaced by team names (ids mean nothing to the admin). */
function withTeamNames(text: string, names: Map<string, string>): string {
  let out = text;
  for (const [id, name] of names) if (id.length >= 6 && out.includes(id)) out = out.split(id).join(`“${name}”`);
  return out;
}

function MatrixView({
  matrix,
  findings: unsorted,
  snapshot,
}: {
  matrix: AccessMatrix;
  findings: ScopeFinding[];
  snapshot: GatewaySnapshot | null;
}) {
  const findings = useMemo(
    () =>
      [...unsorted].sort(
        (a, b) =>
          (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1) ||
          SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
          a.title.localeCompare(b.title),
      ),
    [unsorted],
  );
  const teamNames = useMemo(
    () => new Map((snapshot?.teams ?? matrix.teams).map((t) => [t.id, t.name] as const)),
    [snapshot, matrix],
  );
  const bypass = useMemo(() => bypassOf(snapshot), [snapshot]);
  const hiddenPersonal = (snapshot?.teams ?? []).filter(
    (t) => t.personal && !matrix.teams.some((m) => m.id === t.id),
  ).length;
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const anyExpanded = expanded.size > 0;
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
        <span className="count" data-testid="tenants-count">
          {matrix.teams.length} teams · {matrix.servers.length} virtual servers
          {hiddenPersonal > 0 && (
            <span
              className="muted"
              data-testid="tenants-hidden-personal"
              title="Every user has a personal team on the gateway; they hold only that user's own servers, so the matrix leaves them out. Sync counts them."
            >
              {' '}
              · {hiddenPersonal} personal team{hiddenPersonal === 1 ? '' : 's'} not shown (sync counts{' '}
              {snapshot?.teams.length})
            </span>
          )}
        </span>
      </div>

      <p className="faint tn-legend" data-testid="tenants-legend">
        Each cell: whether the team reaches the server (allowed, partial = some tools only, denied) and how many of its
        members and team tokens can. Platform admins and unscoped admin tokens bypass teams and are listed first.
      </p>
      <div className="tn-layout">
        <div className="tn-matrix-wrap">
          <table
            className="tn-matrix"
            data-testid="tenants-matrix"
            aria-label="Team access to virtual servers and tools"
          >
            <thead>
              {/*
               * Two header rows once a server is expanded: the server's header spans its own column
               * and its tools (scope=colgroup), so tool columns keep the server they belong to.
               */}
              <tr>
                <th className="tn-team" scope="col" rowSpan={anyExpanded ? 2 : 1}>
                  Team
                </th>
                {servers.map((s) => {
                  const open = expanded.has(s.id);
                  return (
                    <th
                      key={s.id}
                      scope={open ? 'colgroup' : 'col'}
                      colSpan={open ? 1 + s.tools.length : 1}
                      rowSpan={anyExpanded && !open ? 2 : 1}
                      className={open ? 'tn-server-group' : undefined}
                      data-testid="tenants-server-col"
                      data-name={s.name}
                      data-expanded={open}
                    >
                      <button
                        type="button"
                        className="btn btn-ghost"
                        aria-expanded={open}
                        data-testid={`tenants-expand-${s.name}`}
                        title={`${s.visibility}${s.teamName ? ` · ${s.teamName}` : ''} — ${s.tools.length} tools`}
                        onClick={() => toggle(s.id)}
                      >
                        {open ? '▾' : '▸'} {s.name}
                      </button>
                      <div className="faint">
                        {s.visibility}
                        {s.teamName ? ` · ${s.teamName}` : ''}
                      </div>
                    </th>
                  );
                })}
              </tr>
              {anyExpanded && (
                <tr>
                  {servers
                    .filter((s) => expanded.has(s.id))
                    .map((s) => (
                      <Fragment key={s.id}>
                        <th
                          scope="col"
                          className="tn-tool tn-tool-all"
                          data-testid="tenants-server-all-col"
                          data-server={s.name}
                        >
                          whole server
                        </th>
                        {s.tools.map((t) => (
                          <th
                            key={t.id}
                            scope="col"
                            className="tn-tool"
                            data-testid="tenants-tool-col"
                            data-server={s.name}
                            title={`${s.name} → ${t.name}`}
                          >
                            {t.name}
                            {t.destructive ? ' ⚠' : ''}
                          </th>
                        ))}
                      </Fragment>
                    ))}
                </tr>
              )}
            </thead>
            <tbody>
              {bypass.admins.length > 0 && (
                <BypassRow
                  testId="tenants-bypass-admins"
                  label="Platform admins"
                  who={bypass.admins}
                  why="Platform admins bypass team scoping: every server and tool"
                  servers={servers}
                  expanded={expanded}
                />
              )}
              {bypass.tokens.length > 0 && (
                <BypassRow
                  testId="tenants-bypass-tokens"
                  label="Unscoped admin tokens"
                  who={bypass.tokens.map((t) => `${t.name} (${t.owner})`)}
                  why="A token of a platform admin with no team and no permission limit: anyone holding it reaches everything"
                  servers={servers}
                  expanded={expanded}
                />
              )}
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
                  <td
                    colSpan={1 + servers.reduce((n, s) => n + 1 + (expanded.has(s.id) ? s.tools.length : 0), 0)}
                    className="muted"
                  >
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
                    {withTeamNames(step.text, teamNames)}
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
              data-severity={f.severity}
            >
              <div className="tn-finding-title">
                <span className={`tn-sev tn-sev-${f.severity}`}>{f.severity}</span>
                <a
                  href={`${routeHref('findings')}?status=all&finding=${encodeURIComponent(f.id)}`}
                  data-testid="tenants-finding-link"
                >
                  {withTeamNames(f.title, teamNames)}
                </a>
                <span className="mono faint">{f.ruleId}</span>
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
              <div>{withTeamNames(f.message, teamNames)}</div>
              {f.remediation && <div className="muted">Fix: {withTeamNames(f.remediation, teamNames)}</div>}
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
  const n = cell.principals.length;
  const text = `${STATUS_LABEL[cell.status]}${n > 0 ? ` · ${n}` : ''}`;
  return (
    <button
      type="button"
      className={`tn-cell tn-${cell.status}`}
      style={props.dim ? { opacity: 0.35 } : undefined}
      aria-pressed={props.pressed}
      aria-label={`${text}: ${props.label}${n ? `, ${n} member${n === 1 ? '' : 's'} or team token${n === 1 ? '' : 's'} can reach it` : ''}. Show why`}
      title={`${STATUS_LABEL[cell.status]}${cell.status === 'partial' ? ' (some tools only)' : ''}: ${n} member(s) or team token(s) can reach it`}
      data-testid="tenants-cell"
      data-status={cell.status}
      onClick={props.onClick}
    >
      {text}
    </button>
  );
}

/** A matrix row for principals that bypass team scoping (the biggest risk): "all" in every cell. */
function BypassRow(props: {
  testId: string;
  label: string;
  who: string[];
  why: string;
  servers: { id: string; tools: { id: string }[] }[];
  expanded: ReadonlySet<string>;
}) {
  const { testId, label, who, why, servers, expanded } = props;
  return (
    <tr className="tn-bypass" data-testid={testId} data-count={who.length}>
      <th className="tn-team" scope="row" title={who.join(', ')}>
        {label} <span className="faint">({who.length})</span>
        <div className="tn-bypass-who">{who.join(', ')}</div>
      </th>
      {servers.map((s) => (
        <Fragment key={s.id}>
          <td>
            <span className="tn-cell tn-bypass-cell" title={why}>
              all · bypass
            </span>
          </td>
          {expanded.has(s.id) &&
            s.tools.map((t) => (
              <td key={t.id}>
                <span className="tn-cell tn-bypass-cell">all</span>
              </td>
            ))}
        </Fragment>
      ))}
    </tr>
  );
}
