import { z } from 'zod';
import { ClientId } from './discovery.js';
import { SEVERITIES } from './enums.js';

export { SEVERITY_ORDER, emptySeverityCounts } from './enums.js';

export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** Stable rule ids (shared/reference/findings.md): part of the product's interface. */
export const RULE_IDS = [
  'secret.literal',
  'secret.in-args',
  'secret.in-url',
  'secret.reused',
  'secret.project-file',
  'config.permissions',
  'transport.plaintext',
  'auth.none',
  'auth.static',
  'runner.unpinned',
  'command.inline-shell',
  'package.vulnerable',
  'tool.poisoning',
  'tool.hidden-unicode',
  'tool.shadowing',
  'tool.changed',
  'server.unreachable',
  // Tenant scopes (gateways): electron/services/tenants/findings.ts
  'scope.cross-tenant-credential',
  'scope.public-server',
  'scope.token-no-expiry',
  'scope.admin-token',
  'scope.broad-role',
] as const;
export const RuleId = z.enum(RULE_IDS);
export type RuleId = z.infer<typeof RuleId>;

export const FindingLocation = z.object({
  file: z.string(),
  /** RFC 6901 pointer of the offending value. */
  pointer: z.string(),
  line: z.number().int().positive().optional(),
});
export type FindingLocation = z.infer<typeof FindingLocation>;

/** `fixed`: a later scan no longer reported it (`fixedAt` is that scan's time). */
export const FindingStatus = z.enum(['open', 'suppressed', 'fixed']);
export type FindingStatus = z.infer<typeof FindingStatus>;

export const Suppression = z.object({
  key: z.string(),
  reason: z.string().min(1),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
  /** Row version in the team store (send it back as `expectedVersion` to detect concurrent edits). */
  version: z.string().optional(),
});
export type Suppression = z.infer<typeof Suppression>;

/** A finding as every output sees it: evidence is masked, never a value. */
export const Finding = z.object({
  /** Stable id: hash of rule id, location and fingerprint (also the suppression key). */
  id: z.string(),
  ruleId: RuleId,
  severity: Severity,
  title: z.string(),
  message: z.string(),
  client: ClientId,
  /** The server's name as configured (empty for file-level findings). */
  server: z.string(),
  serverId: z.string().optional(),
  location: FindingLocation,
  /** Masked evidence, e.g. `ghp_…9fA2`. */
  evidence: z.string().optional(),
  /** Keyed hash of the secret (per-install key), for reuse grouping. */
  fingerprint: z.string().optional(),
  secretType: z.string().optional(),
  remediation: z.string().optional(),
  status: FindingStatus,
  suppression: Suppression.optional(),
  firstSeen: z.string(),
  /** Status `fixed`: start time of the scan that no longer reported it. */
  fixedAt: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

/** Open findings per severity. */
export const SeverityCounts = z.object({
  critical: z.number().int().nonnegative(),
  high: z.number().int().nonnegative(),
  medium: z.number().int().nonnegative(),
  low: z.number().int().nonnegative(),
  info: z.number().int().nonnegative(),
});
export type SeverityCounts = z.infer<typeof SeverityCounts>;

export const FindingsSummary = z.object({
  total: z.number().int().nonnegative(),
  open: z.number().int().nonnegative(),
  suppressed: z.number().int().nonnegative(),
  /** Findings earlier scans reported and the latest no longer does (not in `total`). */
  fixed: z.number().int().nonnegative().optional(),
  /** Open findings only. */
  bySeverity: SeverityCounts,
});
export type FindingsSummary = z.infer<typeof FindingsSummary>;

/** The latest findings with their summary, per-server counts and where the secret store stands. */
export const FindingsReport = z.object({
  scanId: z.number().int().nullable(),
  scannedAt: z.string().nullable(),
  durationMs: z.number().optional(),
  findings: z.array(Finding),
  summary: FindingsSummary,
  /** Open findings per server id and severity (for the inventory's counts column). */
  serverCounts: z.record(z.string(), SeverityCounts),
  /** Which secret store holds the fingerprint key; `warning` must be shown when present. */
  secretStore: z.object({ kind: z.string(), warning: z.string().optional() }),
  /** Rules that failed during the scan (the rest still ran). */
  errors: z.array(z.string()).optional(),
});
export type FindingsReport = z.infer<typeof FindingsReport>;
