import { createHash } from 'node:crypto';
import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import type { Severity } from '../../../shared/model/finding.js';
import type { AccessMatrix, ScopeFinding, ScopeRuleId } from '../../../shared/model/tenant.js';
import { isPlatformAdmin } from './access.js';

/**
 * Tenant-scope rules over one gateway snapshot and its access matrix. Ids are stable: a hash of
 * the rule id, the gateway id and the subject's id, so they survive re-syncs and can be suppressed.
 */

export type ScopeFindingDraft = Omit<ScopeFinding, 'id' | 'status' | 'firstSeen'>;

export function scopeFindingId(ruleId: ScopeRuleId, gatewayId: string, subjectId: string): string {
  return createHash('sha256').update(`${ruleId}\0${gatewayId}\0${subjectId}`).digest('hex').slice(0, 24);
}

function parseTime(s: string): Date {
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s + 'Z');
}

/** Every permission over tools (resp. servers): holding all of them is control of every tool (server). */
const ALL_TOOLS = ['tools.read', 'tools.execute', 'tools.create', 'tools.update', 'tools.delete'];
const ALL_SERVERS = ['servers.read', 'servers.use', 'servers.create', 'servers.update', 'servers.delete'];

/** What makes a role broad: `*`, an area wildcard, or the full set of tool or server permissions. */
export function broadGrants(perms: string[]): string[] {
  const has = new Set(perms);
  const out: string[] = [];
  if (has.has('*')) out.push('*');
  if (has.has('tools.*') || ALL_TOOLS.every((p) => has.has(p))) out.push('all tools');
  if (has.has('servers.*') || ALL_SERVERS.every((p) => has.has(p))) out.push('all servers');
  return out;
}

export function evaluateScopeRules(snap: GatewaySnapshot, matrix: AccessMatrix, now = new Date()): ScopeFindingDraft[] {
  const out: ScopeFindingDraft[] = [];
  const base = { source: 'gateway' as const, gatewayId: snap.gatewayId, gatewayName: snap.gatewayName };
  const teamName = new Map(snap.teams.map((t) => [t.id, t.name]));
  const toolsById = new Map(snap.tools.map((t) => [t.id, t]));
  const serverName = new Map(snap.servers.map((s) => [s.id, s.name]));

  // scope.cross-tenant-credential: one upstream credential serves more than one team.
  for (const up of snap.upstreams) {
    if (!up.authType || up.authType === 'none') continue;
    const toolIds = new Set(snap.tools.filter((t) => t.upstreamId === up.id).map((t) => t.id));
    const reach = new Map<string, Set<string>>();
    for (const c of matrix.cells) {
      if (!c.toolId || c.status !== 'allowed' || !toolIds.has(c.toolId)) continue;
      if (!reach.has(c.teamId)) reach.set(c.teamId, new Set());
      reach.get(c.teamId)!.add(serverName.get(c.serverId) ?? c.serverId);
    }
    if (reach.size < 2) continue;
    const teams = [...reach.keys()].sort();
    const detail = teams.map((t) => `${teamName.get(t) ?? t} (via ${[...reach.get(t)!].sort().join(', ')})`).join('; ');
    out.push({
      ...base,
      ruleId: 'scope.cross-tenant-credential',
      severity: 'high',
      title: `Upstream credential of ${up.name} is shared by ${teams.length} teams`,
      message:
        `The gateway calls upstream ${up.name} (${up.url}) with one ${up.authType} credential for every caller, and ` +
        `${teams.length} teams can reach its tools: ${detail}. Actions of one tenant are indistinguishable upstream ` +
        'and a leak of that credential crosses tenant boundaries.',
      server: up.name,
      subject: { type: 'upstream', id: up.id, name: up.name },
      teams,
      location: { file: snap.baseUrl, pointer: `/gateways/${up.id}` },
      evidence: `authType=${up.authType}; teams=${teams.map((t) => teamName.get(t) ?? t).join(', ')}`,
      remediation:
        'Register the upstream once per team with a team-specific credential (or use per-user OAuth / identity propagation), ' +
        'and scope each registration to its team.',
    });
  }

  // auth.static: Gatehouse reads this gateway with a static credential while it offers single sign-on.
  if (snap.readWith && snap.readWith !== 'sso' && snap.readWith !== 'none' && snap.ssoProviders?.length) {
    out.push({
      ...base,
      ruleId: 'auth.static',
      severity: 'medium',
      title: `Gateway ${snap.gatewayName} is used with a static ${snap.readWith} credential while it offers SSO`,
      message:
        `Gatehouse reads gateway ${snap.gatewayName} with a pasted ${snap.readWith} credential, but the gateway offers single ` +
        `sign-on (${snap.ssoProviders.join(', ')}). A static credential is not tied to a person, is rarely rotated and ` +
        'outlives the admin who pasted it.',
      server: '',
      subject: { type: 'gateway', id: snap.gatewayId, name: snap.gatewayName },
      teams: [],
      location: { file: snap.baseUrl, pointer: '/auth' },
      evidence: `authType=${snap.readWith}; sso providers=${snap.ssoProviders.join(',')}`,
      remediation: `Re-add the gateway with --sso ISSUER and sign in with \`gatehouse gateway login ${snap.gatewayName}\`, then revoke the static token.`,
    });
  }

  // scope.public-server: public visibility on a server exposing write or destructive tools.
  for (const s of snap.servers) {
    if (s.visibility !== 'public') continue;
    const tools = s.toolIds.map((id) => toolsById.get(id)).filter((t) => t !== undefined);
    const destructive = tools.filter((t) => t.destructive === true);
    const writes = tools.filter((t) => t.readOnly !== true);
    if (writes.length === 0) continue;
    out.push({
      ...base,
      ruleId: 'scope.public-server',
      severity: destructive.length ? 'high' : 'medium',
      title: `Public virtual server ${s.name} exposes ${destructive.length ? 'destructive' : 'write'} tools`,
      message:
        `Virtual server ${s.name} is visible to every user and team of the gateway and exposes ${writes.length} tool(s) not marked ` +
        `read-only${destructive.length ? `, ${destructive.length} marked destructive` : ''}: ` +
        `${(destructive.length ? destructive : writes)
          .slice(0, 8)
          .map((t) => t.name)
          .join(', ')}.`,
      server: s.name,
      subject: { type: 'server', id: s.id, name: s.name },
      teams: [],
      location: { file: snap.baseUrl, pointer: `/servers/${s.id}` },
      evidence: `visibility=public; tools=${writes.length}`,
      remediation:
        'Set the server to team visibility, or split read-only tools into the public server and keep write tools team-scoped.',
    });
  }

  // scope.token-no-expiry and scope.admin-token.
  for (const t of snap.tokens) {
    if (!t.active || t.revoked) continue;
    if (t.expiresAt && parseTime(t.expiresAt) <= now) continue;
    const team = t.teamId ? (teamName.get(t.teamId) ?? t.teamId) : undefined;
    if (!t.expiresAt) {
      out.push({
        ...base,
        ruleId: 'scope.token-no-expiry',
        severity: 'medium',
        title: `Token ${t.name} never expires`,
        message: `API token ${t.name} of ${t.userEmail}${team ? ` (team ${team})` : ''} has no expiry; if it leaks it stays valid until someone revokes it.`,
        server: '',
        subject: { type: 'token', id: t.id, name: t.name },
        teams: t.teamId ? [t.teamId] : [],
        location: { file: snap.baseUrl, pointer: `/tokens/${t.id}` },
        evidence: `expires_at=null; last_used=${t.lastUsed ?? 'never'}`,
        remediation:
          'Revoke it and issue a token with an expiry (and set REQUIRE_TOKEN_EXPIRATION=true on the gateway).',
      });
    }
    const unrestricted = t.permissions.length === 0 || t.permissions.includes('*');
    if (isPlatformAdmin(snap, t.userEmail) && unrestricted && !t.serverId) {
      const severity: Severity = t.expiresAt ? 'high' : 'critical';
      out.push({
        ...base,
        ruleId: 'scope.admin-token',
        severity,
        title: `Admin-bypass token ${t.name} in circulation`,
        message:
          `API token ${t.name} belongs to platform admin ${t.userEmail} and carries no narrowing scopes, so it bypasses ` +
          `team scoping and RBAC${team ? ` despite being filed under team ${team}` : ''}${t.expiresAt ? '' : ' and never expires'}.`,
        server: '',
        subject: { type: 'token', id: t.id, name: t.name },
        teams: t.teamId ? [t.teamId] : [],
        location: { file: snap.baseUrl, pointer: `/tokens/${t.id}` },
        evidence: `owner=${t.userEmail} (platform admin); scopes=${t.permissions.join(',') || 'none'}`,
        remediation:
          'Revoke it; issue automation tokens from a non-admin service account with explicit permission scopes and a server limit.',
      });
    }
  }

  // scope.broad-role: a role granting all tools or all servers, held by someone.
  for (const r of snap.roles) {
    const broad = broadGrants(r.permissions);
    if (broad.length === 0) continue;
    const holders = snap.assignments.filter((a) => a.roleId === r.id && a.active);
    if (holders.length === 0) continue;
    const nonAdminHolders = holders.filter((a) => !snap.users.some((u) => u.email === a.email && u.isAdmin));
    const teams = [...new Set(holders.map((a) => a.scopeId).filter((x): x is string => !!x))].sort();
    out.push({
      ...base,
      ruleId: 'scope.broad-role',
      // Built-in roles are expected to be broad, unless `*` lands on a non-admin; custom ones are a choice.
      severity:
        broad.includes('*') && nonAdminHolders.length > 0
          ? 'high'
          : r.system
            ? 'low'
            : r.scope === 'team'
              ? 'high'
              : 'medium',
      title: `Role ${r.name} grants ${broad.includes('*') ? 'every permission' : `control of ${broad.join(' and ')}`}`,
      message:
        `${r.system ? 'Built-in' : 'Custom'} ${r.scope} role ${r.name} grants ${broad.join(', ')} and is held by ` +
        `${holders.length} assignment(s): ${holders
          .slice(0, 6)
          .map((a) => a.email + (a.scopeId ? ` in ${teamName.get(a.scopeId) ?? a.scopeId}` : ''))
          .join(', ')}.`,
      server: '',
      subject: { type: 'role', id: r.id, name: r.name },
      teams,
      location: { file: snap.baseUrl, pointer: `/rbac/roles/${r.id}` },
      evidence: `permissions=${broad.join(',')}; holders=${holders.length}`,
      remediation:
        'Replace wildcards with the specific permissions the holders need (e.g. tools.read, tools.execute on named servers).',
    });
  }
  return out;
}
