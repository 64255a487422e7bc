import type { GatewaySnapshot, GwTool, Visibility } from '../../../shared/model/gateway.js';
import {
  POLICY_API_VERSION,
  type PolicyAssignment,
  type PolicyDocument,
  type PolicyRole,
  type PolicyServer,
  type PolicyTeam,
  type PolicyTool,
  type TeamRole,
} from '../../../shared/model/policy.js';

/**
 * Gateway state → policy document, by names (never ids). Conventions (the planner follows the same):
 * - Personal teams are not policy objects: skipped, and a server in a personal team has no `team`.
 * - System roles (`is_system_role`) are the gateway's: never listed under `roles`, and their
 *   assignments are not listed either — ContextForge grants them itself for membership (viewer,
 *   team_admin) and accounts (platform_viewer, platform_admin). A draft may still reference a system
 *   role by name in an assignment; the planner then creates it if missing but never removes one.
 * - `tools[]` lists only tools whose visibility or enabled state differ from their default (the
 *   upstream's visibility, enabled).
 * - Rules are not read from the gateway (ContextForge has no rule objects): `rules: []`.
 */
export function policyFromSnapshot(snap: GatewaySnapshot): PolicyDocument {
  const teams = snap.teams.filter((t) => !t.personal);
  const teamName = new Map(teams.map((t) => [t.id, t.name]));
  const roleById = new Map(snap.roles.map((r) => [r.id, r]));
  const toolName = new Map(snap.tools.map((t) => [t.id, t.name]));

  const policyTeams: PolicyTeam[] = teams
    .map((t) => ({
      name: t.name,
      visibility: t.visibility === 'public' ? ('public' as const) : ('private' as const),
      ...(t.description ? { description: t.description } : {}),
      members: snap.members
        .filter((m) => m.teamId === t.id && m.active && m.email)
        .map((m) => ({ email: m.email, role: teamRole(m.role) }))
        .sort((a, b) => cmp(a.email, b.email)),
    }))
    .sort((a, b) => cmp(a.name, b.name));

  const roles: PolicyRole[] = snap.roles
    .filter((r) => !r.system)
    .map((r): PolicyRole => ({
      name: r.name,
      scope: r.scope === 'team' ? 'team' : r.scope === 'personal' ? 'personal' : 'global',
      ...(r.description ? { description: r.description } : {}),
      permissions: [...r.permissions].sort(),
    }))
    .sort((a, b) => cmp(a.name, b.name));

  const assignments: PolicyAssignment[] = [];
  for (const a of snap.assignments) {
    const role = roleById.get(a.roleId);
    if (!a.active || !role || role.system) continue;
    const out: PolicyAssignment = { user: a.email, role: role.name };
    if (a.scope === 'team') {
      const team = a.scopeId ? teamName.get(a.scopeId) : undefined;
      if (!team) continue; // a personal team or a team gone: not policy
      out.team = team;
    }
    const expires = normalizeExpiry(a.expiresAt);
    if (expires) out.expires = expires;
    assignments.push(out);
  }
  assignments.sort((a, b) => cmp(assignmentKey(a), assignmentKey(b)));

  const servers: PolicyServer[] = snap.servers
    .map((s) => {
      const team = s.teamId ? teamName.get(s.teamId) : undefined;
      return {
        name: s.name,
        ...(team ? { team } : {}),
        visibility: s.visibility,
        enabled: s.enabled,
        ...(s.description ? { description: s.description } : {}),
        tools: s.toolIds.map((id) => toolName.get(id) ?? id).sort(),
      };
    })
    .sort((a, b) => cmp(a.name, b.name));

  const defaults = toolDefaults(snap);
  const tools: PolicyTool[] = [];
  for (const t of snap.tools) {
    const d = defaults(t);
    const entry: PolicyTool = { name: t.name };
    if (t.visibility !== d.visibility) entry.visibility = t.visibility;
    if (t.enabled !== d.enabled) entry.enabled = t.enabled;
    if (entry.visibility !== undefined || entry.enabled !== undefined) tools.push(entry);
  }
  tools.sort((a, b) => cmp(a.name, b.name));

  return {
    apiVersion: POLICY_API_VERSION,
    kind: 'Policy',
    gateway: snap.gatewayName,
    teams: policyTeams,
    roles,
    assignments,
    servers,
    tools,
    rules: [],
    guardrails: {},
  };
}

/** A tool's default settings: its upstream's visibility (public when unknown), enabled. */
export function toolDefaults(snap: GatewaySnapshot): (t: GwTool) => { visibility: Visibility; enabled: boolean } {
  const upstream = new Map(snap.upstreams.map((u) => [u.id, u.visibility]));
  return (t) => ({ visibility: (t.upstreamId && upstream.get(t.upstreamId)) || 'public', enabled: true });
}

/** ContextForge returns naive UTC timestamps (`2030-01-01T00:00:00`): make them explicit UTC. */
export function normalizeExpiry(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(v.slice(10)) ? v : `${v}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? v : new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function assignmentKey(a: { user: string; role: string; team?: string }): string {
  return `assignment:${a.user}/${a.role}${a.team ? `@${a.team}` : ''}`;
}

function teamRole(r: string): TeamRole {
  return r === 'owner' ? 'owner' : 'member';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
