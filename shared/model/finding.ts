import { z } from 'zod';
import { ClientId } from './discovery.js';

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;
export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

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

export const FindingStatus = z.enum(['open', 'suppressed']);
export type FindingStatus = z.infer<typeof FindingStatus>;

export const Suppression = z.object({
  key: z.string(),
  reason: z.string().min(1),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
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
});
export type Finding = z.infer<typeof Finding>;
