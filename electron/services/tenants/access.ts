import type {
  GatewaySnapshot,
  GwRole,
  GwToken,
  GwTool,
  GwVirtualServer,
  Visibility,
} from '../../../shared/model/gateway.js';
import type { AccessCell, AccessMatrix, AccessStatus, WhyStep } from '../../../shared/model/tenant.js';

/**
 * The effective-access model: for each team, each virtual server and each of its tools, can some
 * principal of the team (an active member through its roles, or a team-scoped token) reach it?
 *
 * ContextForge semantics modelled here (1.0.x):
 * - visibility: `public` → every team; `team` → only the owning team; `private` → only the owner;
 * - RBAC: a member's permissions are the union of its active global roles and its team-scoped
 *   roles for this team; reaching a server needs `servers.use`, calling a tool `tools.execute`;
 *   `*` and `<area>.*` are wildcards;
 * - tokens: a team token is scoped to its team; non-empty `permissions` narrow the owner's
 *   permissions; `serverId` limits it to one server; expired or revoked tokens count for nothing;
 * - platform admins bypass team scoping; they are reported in the chain, not counted as a team's
 *   principals (otherwise every team would appear to reach everything through the admin).
 */

export const SERVER_PERMISSION = 'servers.use';
export const TOOL_PERMISSION = 'tools.execute';

export function grants(perms: Iterable<string>, needed: string): boolean {
  const area = needed.split('.')[0];
  for (const p of perms) if (p === '*' || p === needed || p === `${area}.*`) return true;
  return false;
}

interface Principal {
  id: string;
  label: string;
  kind: 'member' | 'token';
  perms: Set<string>;
  /** Role names (members) or scope description (tokens) that produced perms. */
  via: string;
  /** Token limited to one server. */
  serverId?: string;
  email: string;
}

function tokenLive(t: GwToken, now: Date): boolean {
  return (
    t.active &&
    !t.revoked &&
    (!t.expiresAt || new Date(t.expiresAt + (/[zZ]|[+-]\d\d:?\d\d$/.test(t.expiresAt) ? '' : 'Z')) > now)
  );
}

export function isPlatformAdmin(snap: GatewaySnapshot, email: string): boolean {
  if (snap.users.some((u) => u.email === email && u.isAdmin)) return true;
  const roles = new Map(snap.roles.map((r) => [r.id, r]));
  return snap.assignments.some(
    (a) =>
      a.email === email && a.active && a.scope === 'global' && (roles.get(a.roleId)?.permissions ?? []).includes('*'),
  );
}

/** Active roles of `email` that apply inside team `teamId` (global + that team's). */
export function rolesIn(snap: GatewaySnapshot, email: string, teamId: string): GwRole[] {
  const roles = new Map(snap.roles.map((r) => [r.id, r]));
  return snap.assignments
    .filter(
      (a) => a.email === email && a.active && (a.scope === 'global' || (a.scope === 'team' && a.scopeId === teamId)),
    )
    .map((a) => roles.get(a.roleId))
    .filter((r): r is GwRole => r !== undefined);
}

function principalsOf(snap: GatewaySnapshot, teamId: string, now: Date): { principals: Principal[]; admins: string[] } {
  const admins: string[] = [];
  const principals: Principal[] = [];
  const memberPerms = new Map<string, Set<string>>();
  for (const m of snap.members.filter((x) => x.teamId === teamId && x.active)) {
    if (isPlatformAdmin(snap, m.email)) {
      admins.push(m.email);
      continue;
    }
    const roles = rolesIn(snap, m.email, teamId);
    const perms = new Set(roles.flatMap((r) => r.permissions));
    memberPerms.set(m.email, perms);
    principals.push({
      id: `member:${m.email}`,
      label: m.email,
      kind: 'member',
      perms,
      via: roles.length ? roles.map((r) => r.name).join(', ') : 'no role',
      email: m.email,
    });
  }
  for (const t of snap.tokens.filter((x) => x.teamId === teamId && tokenLive(x, now))) {
    const ownerAdmin = isPlatformAdmin(snap, t.userEmail);
    const ownerPerms = ownerAdmin
      ? new Set(['*'])
      : (memberPerms.get(t.userEmail) ?? new Set(rolesIn(snap, t.userEmail, teamId).flatMap((r) => r.permissions)));
    // Narrowing scopes: the intersection of the owner's permissions with the token's.
    const perms = t.permissions.length ? new Set(t.permissions.filter((p) => grants(ownerPerms, p))) : ownerPerms;
    // ContextForge adds servers.use to scoped tokens that carry tools.execute.
    if (t.permissions.length && grants(perms, TOOL_PERMISSION) && grants(ownerPerms, SERVER_PERMISSION))
      perms.add(SERVER_PERMISSION);
    principals.push({
      id: `token:${t.id}`,
      label: `token ${t.name}`,
      kind: 'token',
      perms,
      via: t.permissions.length
        ? `scopes ${t.permissions.join(', ')}`
        : `owner ${t.userEmail}'s permissions${ownerAdmin ? ' (platform admin)' : ''}`,
      serverId: t.serverId,
      email: t.userEmail,
    });
  }
  return { principals, admins };
}

function visibleTo(
  v: Visibility,
  ownerTeam: string | undefined,
  ownerEmail: string | undefined,
  teamId: string,
  memberEmails: Set<string>,
): boolean {
  if (v === 'public') return true;
  if (v === 'team') return ownerTeam === teamId;
  return ownerTeam === teamId && !!ownerEmail && memberEmails.has(ownerEmail);
}

function visibilityText(
  kind: string,
  name: string,
  v: Visibility,
  ownerTeamName: string | undefined,
  ok: boolean,
  teamName: string,
): string {
  if (v === 'public') return `${kind} ${name} is public: visible to every team`;
  if (v === 'team')
    return ok
      ? `${kind} ${name} is team-visible and belongs to ${teamName}`
      : `${kind} ${name} is team-visible to ${ownerTeamName ?? 'another team'} only`;
  return ok
    ? `${kind} ${name} is private to its owner, a member of ${teamName}`
    : `${kind} ${name} is private to its owner`;
}

export interface MatrixOptions {
  now?: Date;
  /** Include users' personal teams (default false). */
  includePersonal?: boolean;
}

export function buildAccessMatrix(snap: GatewaySnapshot, opts: MatrixOptions = {}): AccessMatrix {
  const now = opts.now ?? new Date();
  const teamName = new Map(snap.teams.map((t) => [t.id, t.name]));
  const toolsById = new Map(snap.tools.map((t) => [t.id, t]));
  const teams = snap.teams.filter((t) => opts.includePersonal || !t.personal);
  const servers = snap.servers;
  const cells: AccessCell[] = [];

  for (const team of teams) {
    const { principals, admins } = principalsOf(snap, team.id, now);
    const memberEmails = new Set(snap.members.filter((m) => m.teamId === team.id && m.active).map((m) => m.email));
    const membersCount = principals.filter((p) => p.kind === 'member').length;
    const tokensCount = principals.length - membersCount;
    const membership: WhyStep = {
      kind: 'membership',
      outcome: principals.length ? 'info' : 'deny',
      text:
        `${team.name}: ${membersCount} active member(s)` +
        (membersCount
          ? ` (${principals
              .filter((p) => p.kind === 'member')
              .map((p) => p.label)
              .join(', ')})`
          : '') +
        `, ${tokensCount} live team token(s)` +
        (admins.length ? `; platform admin(s) ${admins.join(', ')} bypass team scoping and are not counted` : ''),
    };

    for (const server of servers) {
      const serverVisible = visibleTo(server.visibility, server.teamId, server.ownerEmail, team.id, memberEmails);
      const serverVis: WhyStep = {
        kind: 'visibility',
        outcome: serverVisible ? 'grant' : 'deny',
        text: visibilityText(
          'server',
          server.name,
          server.visibility,
          teamName.get(server.teamId ?? ''),
          serverVisible,
          team.name,
        ),
      };
      const toolStatuses: AccessStatus[] = [];
      const serverPrincipals = new Set<string>();
      for (const toolId of server.toolIds) {
        const tool = toolsById.get(toolId);
        const cell = toolCell(
          team.id,
          team.name,
          server,
          toolId,
          tool,
          principals,
          membership,
          serverVis,
          serverVisible,
          memberEmails,
          teamName,
        );
        cell.principals.forEach((p) => serverPrincipals.add(p));
        toolStatuses.push(cell.status);
        cells.push(cell);
      }
      cells.push(
        serverCell(team.id, server, principals, membership, serverVis, serverVisible, toolStatuses, serverPrincipals),
      );
    }
  }

  return {
    gatewayId: snap.gatewayId,
    gatewayName: snap.gatewayName,
    fetchedAt: snap.fetchedAt,
    teams: teams.map((t) => ({ id: t.id, name: t.name, personal: t.personal, memberCount: t.memberCount })),
    servers: servers.map((s) => ({
      id: s.id,
      name: s.name,
      visibility: s.visibility,
      teamId: s.teamId,
      teamName: s.teamId ? teamName.get(s.teamId) : undefined,
      tools: s.toolIds.map((id) => {
        const t = toolsById.get(id);
        return {
          id,
          name: t?.name ?? id,
          visibility: t?.visibility ?? 'public',
          readOnly: t?.readOnly,
          destructive: t?.destructive,
        };
      }),
    })),
    cells,
  };
}

function permissionSteps(
  principals: Principal[],
  needed: string[],
  serverId: string,
): { steps: WhyStep[]; allowed: string[] } {
  const steps: WhyStep[] = [];
  const allowed: string[] = [];
  for (const p of principals) {
    if (p.serverId && p.serverId !== serverId) {
      steps.push({ kind: 'token', outcome: 'deny', text: `${p.label} is limited to another server` });
      continue;
    }
    const missing = needed.filter((n) => !grants(p.perms, n));
    const ok = missing.length === 0;
    if (ok) allowed.push(p.label);
    if (p.kind === 'member') {
      steps.push({ kind: 'role', outcome: 'info', text: `${p.label}: ${p.via}` });
      steps.push({
        kind: 'permission',
        outcome: ok ? 'grant' : 'deny',
        text: ok ? `${p.label} holds ${needed.join(' + ')}` : `${p.label} lacks ${missing.join(', ')}`,
      });
    } else {
      steps.push({
        kind: 'token',
        outcome: ok ? 'grant' : 'deny',
        text: `${p.label} (${p.via})${ok ? ` grants ${needed.join(' + ')}` : ` lacks ${missing.join(', ')}`}`,
      });
    }
  }
  return { steps, allowed };
}

function toolCell(
  teamId: string,
  teamNameText: string,
  server: GwVirtualServer,
  toolId: string,
  tool: GwTool | undefined,
  principals: Principal[],
  membership: WhyStep,
  serverVis: WhyStep,
  serverVisible: boolean,
  memberEmails: Set<string>,
  teamName: Map<string, string>,
): AccessCell {
  const chain: WhyStep[] = [membership, serverVis];
  let visible = serverVisible;
  if (tool) {
    const toolVisible = visibleTo(tool.visibility, tool.teamId, undefined, teamId, memberEmails);
    if (!toolVisible) visible = false;
    chain.push({
      kind: 'visibility',
      outcome: toolVisible ? 'grant' : 'deny',
      text: visibilityText(
        'tool',
        tool.name,
        tool.visibility,
        teamName.get(tool.teamId ?? ''),
        toolVisible,
        teamNameText,
      ),
    });
    if (!tool.enabled) {
      visible = false;
      chain.push({ kind: 'visibility', outcome: 'deny', text: `tool ${tool.name} is disabled` });
    }
  } else {
    visible = false;
    chain.push({
      kind: 'visibility',
      outcome: 'deny',
      text: `tool ${toolId} is not listed by the gateway (inactive or hidden from this credential)`,
    });
  }
  const { steps, allowed } = permissionSteps(principals, [SERVER_PERMISSION, TOOL_PERMISSION], server.id);
  chain.push(...steps);
  const status: AccessStatus = visible && allowed.length ? 'allowed' : 'denied';
  return { teamId, serverId: server.id, toolId, status, principals: visible ? allowed : [], chain };
}

function serverCell(
  teamId: string,
  server: GwVirtualServer,
  principals: Principal[],
  membership: WhyStep,
  serverVis: WhyStep,
  serverVisible: boolean,
  toolStatuses: AccessStatus[],
  toolPrincipals: Set<string>,
): AccessCell {
  const chain: WhyStep[] = [membership, serverVis];
  const { steps, allowed } = permissionSteps(principals, [SERVER_PERMISSION], server.id);
  chain.push(...steps);
  let status: AccessStatus;
  if (!serverVisible || allowed.length === 0 || !server.enabled) status = 'denied';
  else if (toolStatuses.length === 0 || toolStatuses.every((s) => s === 'allowed')) status = 'allowed';
  else if (toolStatuses.every((s) => s === 'denied')) status = 'denied';
  else status = 'partial';
  if (!server.enabled) chain.push({ kind: 'visibility', outcome: 'deny', text: `server ${server.name} is disabled` });
  if (toolStatuses.length) {
    const n = toolStatuses.filter((s) => s === 'allowed').length;
    chain.push({
      kind: 'permission',
      outcome: n === toolStatuses.length ? 'grant' : n === 0 ? 'deny' : 'info',
      text: `${n} of ${toolStatuses.length} tool(s) reachable`,
    });
  }
  return {
    teamId,
    serverId: server.id,
    status,
    principals:
      status === 'denied'
        ? []
        : [...new Set([...allowed.filter((a) => toolPrincipals.has(a) || toolStatuses.length === 0)])],
    chain,
  };
}
