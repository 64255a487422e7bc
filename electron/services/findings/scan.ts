import { randomBytes } from 'node:crypto';
import { emptySeverityCounts } from '../../../shared/model/enums.js';
import type { Finding, FindingsReport, SeverityCounts } from '../../../shared/model/finding.js';
import type { FindingsFilter } from '../../../shared/api/findings.js';
import type { ServiceContext } from '../context.js';
import { runDiscovery } from '../discovery/handlers.js';
import type { DiscoveryScan } from '../discovery/types.js';
import { fingerprinter, loadFingerprintKey, type Fingerprinter } from '../secrets/fingerprint.js';
import { shippedAdvisories } from './advisories/index.js';
import { analyze, identify, sortFindings, toFinding, type IdentifiedDraft } from './engine.js';
import { nodeGitStatus } from './git.js';
import { FindingsRepository } from './store.js';
import { servingWrite } from '../store/write-turns.js';
import type { AuthProbeResult, FindingDraft, GitFileStatus } from './types.js';

/**
 * The scan path of the findings capability (`gatehouse scan`, rescans): discovery, detection, the
 * static rules, storing the scan and its report. Kept apart from service.ts (suppressions, gateway
 * scope findings, the team store) so a CLI scan loads none of the gateway, identity or team-store
 * code (issue #13: start-up time and memory).
 */

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
  // (A turn at the write lock during an audit import on its worker: see runDiscovery.)
  const { id, firstSeen } = await servingWrite(ctx.writeTurns, () =>
    repo.insertScan({ startedAt: startedAt.toISOString(), durationMs, live: !!opts.live, drafts: all }),
  );
  ctx.events.emit('store.changed', { topics: ['findings'] });
  const report = buildReport(
    ctx,
    repo,
    { id, startedAt: startedAt.toISOString(), durationMs, drafts: all, firstSeen },
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
  const previous = repo.latestScanDrafts(LIVE_RULE_IDS);
  if (!previous.length) return [];
  const present = new Set(scan.servers.map((s) => s.entry.id));
  return previous.filter((d) => !d.serverId || present.has(d.serverId));
}

export function matches(f: Finding, filter: FindingsFilter): boolean {
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

export function buildReport(
  ctx: ServiceContext,
  repo: FindingsRepository,
  scan: {
    id: number;
    startedAt: string;
    durationMs: number;
    drafts: IdentifiedDraft[];
    /** First-seen times when the caller has them (insertScan returns them): not read again. */
    firstSeen?: ReadonlyMap<string, string>;
  } | null,
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
  const firstSeen = scan.firstSeen ?? repo.firstSeen(scan.drafts.map((d) => d.id));
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
