import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import type { AccessMatrix, ScopeFinding } from '../../../shared/model/tenant.js';
import type { ServiceContext } from '../context.js';
import { isActive } from '../findings/engine.js';
import { FindingsRepository } from '../findings/store.js';
import { loadSnapshots } from '../gateways/service.js';
import { buildAccessMatrix } from './access.js';
import { evaluateScopeRules, scopeFindingId } from './findings.js';

/** Access matrices for the stored snapshots (one gateway, or all). */
export function accessMatrices(ctx: ServiceContext, gatewayId?: string): AccessMatrix[] {
  return loadSnapshots(ctx, gatewayId).map((s) => buildAccessMatrix(s, { now: ctx.clock.now() }));
}

/** Scope findings with stable ids and a first-seen time remembered in the store. */
export function scopeFindings(ctx: ServiceContext, gatewayId?: string): ScopeFinding[] {
  const out: ScopeFinding[] = [];
  for (const snap of loadSnapshots(ctx, gatewayId)) out.push(...findingsFor(ctx, snap));
  return out;
}

export function findingsFor(ctx: ServiceContext, snap: GatewaySnapshot): ScopeFinding[] {
  const now = ctx.clock.now();
  const matrix = buildAccessMatrix(snap, { now });
  const seen = ctx.db.prepare('SELECT first_seen FROM scope_findings_seen WHERE finding_id = ?');
  const remember = ctx.db.prepare(
    'INSERT OR IGNORE INTO scope_findings_seen (finding_id, gateway_id, first_seen) VALUES (?, ?, ?)',
  );
  const suppressions = new FindingsRepository(ctx.db).suppressions();
  const teamName = new Map(snap.teams.map((t) => [t.id, t.name]));
  return evaluateScopeRules(snap, matrix, now).map((d): ScopeFinding => {
    const id = scopeFindingId(d.ruleId, d.gatewayId, d.subject.id);
    remember.run(id, d.gatewayId, snap.fetchedAt);
    const first = (seen.get(id) as { first_seen: string } | undefined)?.first_seen ?? snap.fetchedAt;
    const sup = suppressions.get(id);
    const active = isActive(sup, now);
    const { key, reason, createdAt, expiresAt, version } = sup ?? { key: '', reason: '', createdAt: '' };
    return {
      ...d,
      id,
      teamNames: d.teams.map((t) => teamName.get(t) ?? t),
      reach: reachOf(snap, matrix, d.subject),
      status: active ? 'suppressed' : 'open',
      ...(active
        ? {
            suppression: {
              key,
              reason,
              createdAt,
              ...(expiresAt ? { expiresAt } : {}),
              ...(version ? { version } : {}),
            },
          }
        : {}),
      firstSeen: first,
    };
  });
}

/** Which teams reach an upstream or a server, and through which virtual servers (allowed cells only). */
export function reachOf(
  snap: GatewaySnapshot,
  matrix: AccessMatrix,
  subject: ScopeFinding['subject'],
): ScopeFinding['reach'] {
  const serverName = new Map(snap.servers.map((s) => [s.id, s.name]));
  const teamName = new Map(snap.teams.map((t) => [t.id, t.name]));
  const via = new Map<string, Set<string>>();
  const add = (teamId: string, serverId: string) => {
    if (!via.has(teamId)) via.set(teamId, new Set());
    via.get(teamId)!.add(serverName.get(serverId) ?? serverId);
  };
  if (subject.type === 'upstream') {
    const toolIds = new Set(snap.tools.filter((t) => t.upstreamId === subject.id).map((t) => t.id));
    for (const c of matrix.cells)
      if (c.toolId && c.status === 'allowed' && toolIds.has(c.toolId)) add(c.teamId, c.serverId);
  } else if (subject.type === 'server') {
    for (const c of matrix.cells)
      if (!c.toolId && c.status !== 'denied' && c.serverId === subject.id) add(c.teamId, c.serverId);
  }
  return [...via]
    .map(([teamId, servers]) => ({ teamId, teamName: teamName.get(teamId) ?? teamId, via: [...servers].sort() }))
    .sort((a, b) => a.teamName.localeCompare(b.teamName));
}
