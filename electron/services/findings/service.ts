import { actorOf } from '../identity/sessions.js';
import { randomBytes } from 'node:crypto';
import {
  emptySeverityCounts,
  type Finding,
  type FindingsReport,
  type SeverityCounts,
} from '../../../shared/model/finding.js';
import type { FindingsFilter } from '../../../shared/api/findings.js';
import type { AnyFinding, FindingsListReport, ScopeFinding } from '../../../shared/model/tenant.js';
import { SEVERITY_ORDER } from '../../../shared/model/finding.js';
import { loadSnapshots } from '../gateways/service.js';
import { findingsFor } from '../tenants/service.js';
import { AdminError } from '../../../shared/api/errors.js';
import { appendAdminAction, type AdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { runDiscovery } from '../discovery/handlers.js';
import type { DiscoveryScan } from '../discovery/types.js';
import { fingerprinter, loadFingerprintKey, type Fingerprinter } from '../secrets/fingerprint.js';
import { shippedAdvisories } from './advisories/index.js';
import { analyze, identify, isActive, sortFindings, toFinding, type IdentifiedDraft } from './engine.js';
import { nodeGitStatus } from './git.js';
import { toSarif } from './sarif.js';
import { FindingsRepository } from './store.js';
import { withSharedSuppressions } from '../team-state/scope.js';
import type { TeamState } from '../team-state/types.js';
import type { AuthProbeResult, FindingDraft, GitFileStatus } from './types.js';

export interface FindingsScanOptions {
  /** A discovery scan already run by the caller (the CLI); else discovery runs (and is recorded) here. */
  scan?: DiscoveryScan;
  /** Live auth probe results by server id (enables auth.static). */
  probes?: ReadonlyMap<string, AuthProbeResult>;
  /** Findings from live rules (tool.*, auth.none, server.unreachable), stored and suppressible like the rest. */
  extraDrafts?: readonly FindingDraft[];
  live?: boolean;
  gitStatus?: (files: string[]) => Promise<ReadonlyMap<string, GitFileStatus>>;
}

async function openFingerprinter(ctx: ServiceContext, warnings: string[]): Promise<Fingerprinter> {
  try {
    return fingerprinter(await loadFingerprintKey(ctx.secrets));
  } catch (err) {
    warnings.push(
      `The secret store (${ctx.secrets.kind}) could not hold the fingerprint key (${(err as Error).message}); finding ids of this scan are not stable across runs.`,
    );
    return fingerprinter(randomBytes(32));
  }
}

/** Discovery (unless given) + detection + static rules; stores the scan and returns the report. */
export async function runFindingsScan(
  ctx: ServiceContext,
  opts: FindingsScanOptions = {},
): Promise<{ report: FindingsReport; scan: DiscoveryScan }> {
  const startedAt = ctx.clock.now();
  const t0 = performance.now();
  const scan = opts.scan ?? (await runDiscovery(ctx)).scan;
  const errors: string[] = [];
  const warnings: string[] = [];
  const fp = await openFingerprinter(ctx, warnings);
  const { drafts, errors: ruleErrors } = await analyze(scan, {
    fingerprint: fp,
    platform: ctx.workstation.platform,
    gitStatus: opts.gitStatus ?? nodeGitStatus,
    ...(opts.probes ? { probes: opts.probes } : {}),
    advisories: shippedAdvisories().advisories,
  });
  errors.push(...ruleErrors);
  const repo = new FindingsRepository(ctx.db);
  const extra = opts.live || opts.extraDrafts ? identify(opts.extraDrafts ?? []) : carriedLiveDrafts(repo, scan);
  const seen = new Set(drafts.map((d) => d.id));
  const all: IdentifiedDraft[] = [...drafts, ...extra.filter((d) => !seen.has(d.id) && !!seen.add(d.id))];
  const durationMs = performance.now() - t0;
  const { id } = repo.insertScan({ startedAt: startedAt.toISOString(), durationMs, live: !!opts.live, drafts: all });
  ctx.events.emit('store.changed', { topics: ['findings'] });
  const report = buildReport(
    ctx,
    repo,
    { id, startedAt: startedAt.toISOString(), durationMs, drafts: all },
    {},
    errors,
  );
  if (warnings.length) report.secretStore.warning = [report.secretStore.warning, ...warnings].filter(Boolean).join(' ');
  return { report, scan };
}

/** Rules whose findings come from connecting to servers (live inventory and its auth probe). */
export const LIVE_RULE_IDS: ReadonlySet<string> = new Set([
  'auth.none',
  'auth.static',
  'tool.poisoning',
  'tool.hidden-unicode',
  'tool.shadowing',
  'tool.changed',
  'server.unreachable',
]);

/**
 * A static-only rescan cannot re-check live findings, so it keeps the latest ones for servers that
 * are still configured (until the next live scan replaces them).
 */
function carriedLiveDrafts(repo: FindingsRepository, scan: DiscoveryScan): IdentifiedDraft[] {
  const present = new Set(scan.servers.map((s) => s.entry.id));
  const previous = repo.latestScan()?.drafts ?? [];
  return previous.filter((d) => LIVE_RULE_IDS.has(d.ruleId) && (!d.serverId || present.has(d.serverId)));
}

function matches(f: Finding, filter: FindingsFilter): boolean {
  return (
    (!filter.source || filter.source === 'workstation') &&
    !filter.gatewayId &&
    (!filter.ruleId || f.ruleId === filter.ruleId) &&
    (!filter.severity || f.severity === filter.severity) &&
    (!filter.status || f.status === filter.status) &&
    (!filter.client || f.client === filter.client) &&
    (!filter.serverId || f.serverId === filter.serverId)
  );
}

function buildReport(
  ctx: ServiceContext,
  repo: FindingsRepository,
  scan: { id: number; startedAt: string; durationMs: number; drafts: IdentifiedDraft[] } | null,
  filter: FindingsFilter,
  errors: string[] = [],
): FindingsReport {
  const now = ctx.clock.now();
  const secretStore = { kind: ctx.secrets.kind, ...(ctx.secrets.warning ? { warning: ctx.secrets.warning } : {}) };
  if (!scan) {
    return {
      scanId: null,
      scannedAt: null,
      findings: [],
      summary: { total: 0, open: 0, suppressed: 0, bySeverity: emptySeverityCounts() },
      serverCounts: {},
      secretStore,
    };
  }
  const firstSeen = repo.firstSeen(scan.drafts.map((d) => d.id));
  const sup = repo.suppressions();
  const all = sortFindings(
    scan.drafts.map((d) => toFinding(d, firstSeen.get(d.id) ?? scan.startedAt, sup.get(d.id), now)),
  );
  const bySeverity = emptySeverityCounts();
  const serverCounts: Record<string, SeverityCounts> = {};
  let open = 0;
  for (const f of all) {
    if (f.status !== 'open') continue;
    open++;
    bySeverity[f.severity]++;
    if (f.serverId) (serverCounts[f.serverId] ??= emptySeverityCounts())[f.severity]++;
  }
  return {
    scanId: scan.id,
    scannedAt: scan.startedAt,
    durationMs: scan.durationMs,
    findings: all.filter((f) => matches(f, filter)),
    summary: { total: all.length, open, suppressed: all.length - open, bySeverity },
    serverCounts,
    secretStore,
    ...(errors.length ? { errors } : {}),
  };
}

export function latestReport(ctx: ServiceContext, filter: FindingsFilter = {}): FindingsReport {
  const repo = new FindingsRepository(ctx.db);
  return buildReport(ctx, repo, repo.latestScan(), filter);
}

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
