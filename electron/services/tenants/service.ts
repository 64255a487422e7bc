import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import type { AccessMatrix, ScopeFinding } from '../../../shared/model/tenant.js';
import type { ServiceContext } from '../context.js';
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
  return evaluateScopeRules(snap, matrix, now).map((d) => {
    const id = scopeFindingId(d.ruleId, d.gatewayId, d.subject.id);
    remember.run(id, d.gatewayId, snap.fetchedAt);
    const first = (seen.get(id) as { first_seen: string } | undefined)?.first_seen ?? snap.fetchedAt;
    return { ...d, id, status: 'open' as const, firstSeen: first };
  });
}
