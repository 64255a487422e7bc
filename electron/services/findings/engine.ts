import { hash } from 'node:crypto';
import { SEVERITY_ORDER } from '../../../shared/model/enums.js';
import type { Finding, Severity, Suppression } from '../../../shared/model/finding.js';
import type { DiscoveryScan } from '../discovery/types.js';
import { collate } from './collate.js';
import { buildScanContext, type BuildContextOptions } from './context.js';
import { STATIC_RULES } from './rules/index.js';
import type { FindingDraft, ScanContext, StaticRule } from './types.js';

/**
 * The findings engine: builds the scan context (one detection pass), runs every static rule over
 * it, and turns drafts into findings with stable ids. The id is also the suppression key: a hash
 * of rule id, file, pointer and fingerprint, so it survives rescans and changes when the value does.
 */
export function findingId(d: Pick<FindingDraft, 'ruleId' | 'location' | 'fingerprint'>): string {
  const h = hash('sha256', [d.ruleId, d.location.file, d.location.pointer, d.fingerprint ?? ''].join('\u0000'), 'hex');
  return `f_${h.slice(0, 24)}`;
}

export type IdentifiedDraft = FindingDraft & { id: string };

/** Runs rules over a built context; a rule that throws is reported, not fatal. */
export function runRules(
  ctx: ScanContext,
  rules: readonly StaticRule[] = STATIC_RULES,
): { drafts: IdentifiedDraft[]; errors: string[] } {
  const drafts: IdentifiedDraft[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    let out: FindingDraft[];
    try {
      out = rule.run(ctx);
    } catch (err) {
      errors.push(`rule ${rule.id} failed: ${(err as Error).message}`);
      continue;
    }
    for (const d of out) {
      const id = findingId(d);
      if (seen.has(id)) continue;
      seen.add(id);
      drafts.push({ ...d, id });
    }
  }
  return { drafts, errors };
}

/** Detection + every static rule over a discovery scan. */
export async function analyze(
  scan: DiscoveryScan,
  opts: BuildContextOptions,
  rules: readonly StaticRule[] = STATIC_RULES,
): Promise<{ drafts: IdentifiedDraft[]; errors: string[]; context: ScanContext }> {
  const context = await buildScanContext(scan, opts);
  return { ...runRules(context, rules), context };
}

/** Identifies drafts produced elsewhere (live rules), with the same id scheme. */
export function identify(drafts: readonly FindingDraft[]): IdentifiedDraft[] {
  return drafts.map((d) => ({ ...d, id: findingId(d) }));
}

/** An active suppression: one without expiry, or whose expiry is still in the future. */
export function isActive(s: Suppression | undefined, now: Date): s is Suppression {
  return !!s && (!s.expiresAt || Date.parse(s.expiresAt) > now.getTime());
}

export function toFinding(
  d: IdentifiedDraft,
  firstSeen: string,
  suppression: Suppression | undefined,
  now: Date,
): Finding {
  const active = isActive(suppression, now);
  return {
    id: d.id,
    ruleId: d.ruleId,
    severity: d.severity,
    title: d.title,
    message: d.message,
    client: d.client,
    server: d.server,
    ...(d.serverId !== undefined ? { serverId: d.serverId } : {}),
    location: d.location,
    ...(d.evidence !== undefined ? { evidence: d.evidence } : {}),
    ...(d.fingerprint !== undefined ? { fingerprint: d.fingerprint } : {}),
    ...(d.secretType !== undefined ? { secretType: d.secretType } : {}),
    ...(d.remediation !== undefined ? { remediation: d.remediation } : {}),
    status: active ? 'suppressed' : 'open',
    ...(active ? { suppression } : {}),
    firstSeen,
  };
}

export function severityRank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/**
 * Most severe first, then file, line and rule; strings in `localeCompare`'s order (collate.ts: the
 * same answers without ICU's collation data for ASCII text, and one collator otherwise).
 */
export function sortFindings<T extends Pick<Finding, 'severity' | 'location' | 'ruleId'>>(list: T[]): T[] {
  return list.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      collate(a.location.file, b.location.file) ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      collate(a.location.pointer, b.location.pointer) ||
      collate(a.ruleId, b.ruleId),
  );
}
