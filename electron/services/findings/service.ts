import { actorOf } from '../identity/sessions.js';
import type { Finding } from '../../../shared/model/finding.js';
import type { FindingsFilter } from '../../../shared/api/findings.js';
import type { AnyFinding, FindingsListReport, ScopeFinding } from '../../../shared/model/tenant.js';
import { SEVERITY_ORDER } from '../../../shared/model/finding.js';
import { loadSnapshots } from '../gateways/service.js';
import { findingsFor } from '../tenants/service.js';
import { AdminError } from '../../../shared/api/errors.js';
import { appendAdminAction, type AdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { isActive, toFinding, type IdentifiedDraft } from './engine.js';
import { latestReport, matches } from './scan.js';
import { toSarif } from './sarif.js';
import { FindingsRepository } from './store.js';
import { withSharedSuppressions } from '../team-state/scope.js';
import type { TeamState } from '../team-state/types.js';

// The scan path lives in scan.ts (a CLI scan loads nothing else); re-exported for existing callers.
export { LIVE_RULE_IDS, latestReport, runFindingsScan, type FindingsScanOptions } from './scan.js';

function scopeMatches(f: ScopeFinding, filter: FindingsFilter): boolean {
  return (
    (!filter.source || filter.source === 'gateway') &&
    !filter.client &&
    !filter.serverId &&
    (!filter.gatewayId || f.gatewayId === filter.gatewayId) &&
    (!filter.ruleId || f.ruleId === filter.ruleId) &&
    (!filter.severity || f.severity === filter.severity) &&
    (!filter.status || f.status === filter.status)
  );
}

/**
 * `findings.list`: the latest workstation scan and the scope findings of every synced gateway in
 * one list (most severe first); the summary counts both, `serverCounts` only workstation servers.
 */
export function listFindings(ctx: ServiceContext, filter: FindingsFilter = {}): FindingsListReport {
  const ws = latestReport(ctx, {});
  const snaps = loadSnapshots(ctx);
  const scope = snaps.flatMap((s) => findingsFor(ctx, s));
  const summary = { ...ws.summary, bySeverity: { ...ws.summary.bySeverity } };
  for (const f of scope) {
    summary.total++;
    if (f.status === 'open') {
      summary.open++;
      summary.bySeverity[f.severity]++;
    } else summary.suppressed++;
  }
  const rank = (f: AnyFinding) => SEVERITY_ORDER.indexOf(f.severity);
  const repo = new FindingsRepository(ctx.db);
  const fixed =
    filter.includeFixed || filter.status === 'fixed' ? fixedFindings(repo).filter((f) => matches(f, filter)) : [];
  const findings: AnyFinding[] = [
    ...ws.findings.filter((f) => matches(f, filter)),
    ...scope.filter((f) => scopeMatches(f, filter)),
    ...fixed,
  ].sort((a, b) => rank(a) - rank(b)); // stable: keeps each kind's own order within a severity
  return {
    ...ws,
    findings,
    summary: { ...summary, fixed: ws.scanId === null ? 0 : repo.fixedCount() },
    gateways: snaps.map((s) => ({ id: s.gatewayId, name: s.gatewayName, fetchedAt: s.fetchedAt })),
  };
}

/**
 * `findings.sarif`: SARIF 2.1.0 of the latest scan's workstation findings (all, or the given ids, in
 * the scan's order). Scope findings and fixed findings are not SARIF results of this run: counted
 * as skipped so the UI can say so.
 */
export function findingsSarif(
  ctx: ServiceContext,
  input: { ids?: string[] | undefined },
): { sarif: Record<string, unknown>; results: number; skipped: number } {
  const all = latestReport(ctx, {}).findings;
  const wanted = input.ids ? new Set(input.ids) : null;
  const chosen = wanted ? all.filter((f) => wanted.has(f.id)) : all;
  return {
    sarif: toSarif(chosen, { version: ctx.version }),
    results: chosen.length,
    skipped: wanted ? wanted.size - chosen.length : 0,
  };
}

/** Findings a later scan no longer reported, as the last scan that had them showed them, marked fixed. */
function fixedFindings(repo: FindingsRepository): Finding[] {
  return repo.fixed().map(({ draft, firstSeen, fixedAt }) => {
    const f = toFinding(draft, firstSeen, undefined, new Date(fixedAt));
    return { ...f, status: 'fixed' as const, fixedAt };
  });
}

/** The admin-log entries of (un)suppressing a workstation finding: where it is, never its value. */
interface Located {
  id: string;
  ruleId: string;
  server: string;
  location: { file: string; pointer: string };
}

function findingDetails(d: Located) {
  return { ruleId: d.ruleId, file: d.location.file, pointer: d.location.pointer, server: d.server };
}

function suppressAction(d: Located, actor: string, s: { reason: string; expiresAt?: string | undefined }): AdminAction {
  return {
    action: 'finding.suppress',
    target: d.id,
    actor,
    details: { ...findingDetails(d), reason: s.reason, ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}) },
  };
}

function unsuppressAction(d: Located, actor: string, expired: boolean): AdminAction {
  return { action: 'finding.unsuppress', target: d.id, actor, details: { ...findingDetails(d), expired } };
}

type Target = { kind: 'workstation'; d: IdentifiedDraft } | { kind: 'gateway'; f: ScopeFinding };

/** A finding of the latest scan, or a scope finding of a synced gateway (same id space, same suppressions). */
function findTarget(ctx: ServiceContext, repo: FindingsRepository, id: string): Target {
  const d = repo.latestScan()?.drafts.find((x) => x.id === id);
  if (d) return { kind: 'workstation', d };
  for (const snap of loadSnapshots(ctx)) {
    const f = findingsFor(ctx, snap).find((x) => x.id === id);
    if (f) return { kind: 'gateway', f };
  }
  throw new AdminError('not-found', `No finding ${id} in the latest scan or the gateway snapshots.`);
}

function targetKey(t: Target): {
  id: string;
  ruleId: string;
  server: string;
  location: { file: string; pointer: string };
  fingerprint?: string | undefined;
} {
  return t.kind === 'workstation' ? t.d : t.f;
}

export function suppressFinding(
  ctx: ServiceContext,
  input: { id: string; reason: string; expiresAt?: string | undefined },
  actor = actorOf(ctx),
): AnyFinding {
  const repo = new FindingsRepository(ctx.db);
  const target = findTarget(ctx, repo, input.id);
  const d = targetKey(target);
  const now = ctx.clock.now();
  if (input.expiresAt && Date.parse(input.expiresAt) <= now.getTime()) {
    throw new AdminError('bad-request', 'The expiry must be in the future.');
  }
  const reason = input.reason.trim();
  if (!reason) throw new AdminError('bad-request', 'A reason is required.');
  repo.suppress(d, {
    reason,
    createdAt: now.toISOString(),
    ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
    actor,
  });
  appendAdminAction(ctx.db, ctx.clock, suppressAction(d, actor, { reason, expiresAt: input.expiresAt }));
  ctx.events.emit('store.changed', { topics: topicsOf(target) });
  return current(ctx, repo, target);
}

export function unsuppressFinding(ctx: ServiceContext, input: { id: string }, actor = actorOf(ctx)): AnyFinding {
  const repo = new FindingsRepository(ctx.db);
  const target = findTarget(ctx, repo, input.id);
  const d = targetKey(target);
  const existing = repo.suppressions().get(d.id);
  if (!existing) throw new AdminError('conflict', `Finding ${d.id} is not suppressed.`);
  repo.unsuppress(d.id);
  appendAdminAction(ctx.db, ctx.clock, unsuppressAction(d, actor, !isActive(existing, ctx.clock.now())));
  ctx.events.emit('store.changed', { topics: topicsOf(target) });
  return current(ctx, repo, target);
}

/**
 * Suppress through the team state (the team store when one is configured): the change and its
 * admin-log entry commit together there, and `expectedVersion` (the suppression's version as the
 * admin loaded it) turns a concurrent edit by another admin into a conflict naming who made it.
 */
export async function suppressFindingShared(
  ctx: ServiceContext,
  state: TeamState,
  input: { id: string; reason: string; expiresAt?: string | undefined; expectedVersion?: string | undefined },
  actor = actorOf(ctx),
): Promise<AnyFinding> {
  const read = async <T>(fn: () => T): Promise<T> => withSharedSuppressions(await state.suppressions.list(), fn);
  const repo = new FindingsRepository(ctx.db);
  const target = await read(() => findTarget(ctx, repo, input.id));
  const d = targetKey(target);
  const now = ctx.clock.now();
  if (input.expiresAt && Date.parse(input.expiresAt) <= now.getTime()) {
    throw new AdminError('bad-request', 'The expiry must be in the future.');
  }
  const reason = input.reason.trim();
  if (!reason) throw new AdminError('bad-request', 'A reason is required.');
  await state.suppressions.put(
    {
      id: d.id,
      ruleId: d.ruleId,
      file: d.location.file,
      pointer: d.location.pointer,
      fingerprint: d.fingerprint,
      reason,
      createdAt: now.toISOString(),
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
      actor,
    },
    input.expectedVersion ?? 'any',
    suppressAction(d, actor, { reason, expiresAt: input.expiresAt }),
  );
  ctx.events.emit('store.changed', { topics: topicsOf(target) });
  return read(() => current(ctx, repo, target));
}

export async function unsuppressFindingShared(
  ctx: ServiceContext,
  state: TeamState,
  input: { id: string; expectedVersion?: string | undefined },
  actor = actorOf(ctx),
): Promise<AnyFinding> {
  const read = async <T>(fn: () => T): Promise<T> => withSharedSuppressions(await state.suppressions.list(), fn);
  const repo = new FindingsRepository(ctx.db);
  const target = await read(() => findTarget(ctx, repo, input.id));
  const d = targetKey(target);
  const existing = await state.suppressions.get(d.id);
  if (!existing) throw new AdminError('conflict', `Finding ${d.id} is not suppressed.`);
  // Without an expected version, the one just read: a change in between is still a conflict.
  await state.suppressions.remove(
    d.id,
    input.expectedVersion ?? existing.version,
    unsuppressAction(d, actor, !isActive({ key: existing.id, ...existing }, ctx.clock.now())),
  );
  ctx.events.emit('store.changed', { topics: topicsOf(target) });
  return read(() => current(ctx, repo, target));
}

function topicsOf(t: Target): string[] {
  return t.kind === 'workstation' ? ['findings'] : ['findings', 'gateways', 'tenants'];
}

function current(ctx: ServiceContext, repo: FindingsRepository, t: Target): AnyFinding {
  if (t.kind === 'gateway') {
    const snap = loadSnapshots(ctx, t.f.gatewayId)[0];
    return (snap && findingsFor(ctx, snap).find((x) => x.id === t.f.id)) ?? t.f;
  }
  const d = t.d;
  const first = repo.firstSeen([d.id]).get(d.id) ?? ctx.clock.now().toISOString();
  return toFinding(d, first, repo.suppressions().get(d.id), ctx.clock.now());
}
