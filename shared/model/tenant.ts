import { z } from 'zod';
import { Finding, FindingStatus, FindingsReport, Severity, Suppression } from './finding.js';
import { Visibility } from './gateway.js';

/**
 * Tenant scopes: the effective-access model team × virtual server × tool, computed from a gateway
 * snapshot (teams, membership, visibility, team-scoped roles and tokens).
 */

export const AccessStatus = z.enum(['allowed', 'denied', 'partial']);
export type AccessStatus = z.infer<typeof AccessStatus>;

export const WhyStepKind = z.enum(['membership', 'role', 'permission', 'visibility', 'token']);
export type WhyStepKind = z.infer<typeof WhyStepKind>;

/** One link of the chain that grants or denies a cell. */
export const WhyStep = z.object({
  kind: WhyStepKind,
  outcome: z.enum(['grant', 'deny', 'info']),
  text: z.string(),
});
export type WhyStep = z.infer<typeof WhyStep>;

export const AccessCell = z.object({
  teamId: z.string(),
  serverId: z.string(),
  /** Absent for the server-level cell. */
  toolId: z.string().optional(),
  status: AccessStatus,
  /** Members and team tokens that can reach it. */
  principals: z.array(z.string()),
  chain: z.array(WhyStep),
});
export type AccessCell = z.infer<typeof AccessCell>;

export const MatrixTeam = z.object({
  id: z.string(),
  name: z.string(),
  personal: z.boolean(),
  memberCount: z.number().int().nonnegative(),
});
export type MatrixTeam = z.infer<typeof MatrixTeam>;

export const MatrixServer = z.object({
  id: z.string(),
  name: z.string(),
  visibility: Visibility,
  teamId: z.string().optional(),
  teamName: z.string().optional(),
  tools: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      visibility: Visibility,
      readOnly: z.boolean().optional(),
      destructive: z.boolean().optional(),
    }),
  ),
});
export type MatrixServer = z.infer<typeof MatrixServer>;

export const AccessMatrix = z.object({
  gatewayId: z.string(),
  gatewayName: z.string(),
  fetchedAt: z.string(),
  teams: z.array(MatrixTeam),
  servers: z.array(MatrixServer),
  cells: z.array(AccessCell),
});
export type AccessMatrix = z.infer<typeof AccessMatrix>;

export const SCOPE_RULE_IDS = [
  'scope.cross-tenant-credential',
  'scope.public-server',
  'scope.token-no-expiry',
  'scope.admin-token',
  'scope.broad-role',
  'auth.static',
] as const;
export const ScopeRuleId = z.enum(SCOPE_RULE_IDS);
export type ScopeRuleId = z.infer<typeof ScopeRuleId>;

/**
 * A tenant-scope finding. Same core fields as `Finding` (id, ruleId, severity, title, message,
 * server, location, evidence, remediation, status, firstSeen) so the Findings page can list both;
 * `client` is replaced by the gateway it came from.
 */
export const ScopeFinding = z.object({
  /** Stable: hash of rule id, gateway id and subject. */
  id: z.string(),
  ruleId: ScopeRuleId,
  severity: Severity,
  title: z.string(),
  message: z.string(),
  source: z.literal('gateway'),
  gatewayId: z.string(),
  gatewayName: z.string(),
  /** Name of the server (upstream or virtual) concerned, '' when the subject is a token or role. */
  server: z.string(),
  subject: z.object({
    type: z.enum(['upstream', 'server', 'token', 'role', 'gateway']),
    id: z.string(),
    name: z.string(),
  }),
  /** Teams involved (ids). */
  teams: z.array(z.string()),
  /**
   * How each team reaches the subject (team → the virtual servers that expose it), when the
   * subject is an upstream or a server; empty for tokens and roles.
   */
  reach: z.array(z.object({ teamId: z.string(), teamName: z.string(), via: z.array(z.string()) })).optional(),
  /** Names of `teams`, same order. */
  teamNames: z.array(z.string()).optional(),
  location: z.object({ file: z.string(), pointer: z.string() }),
  evidence: z.string().optional(),
  remediation: z.string(),
  /** Suppressed like a workstation finding (same store, keyed by id). */
  status: FindingStatus,
  suppression: Suppression.optional(),
  firstSeen: z.string(),
});
export type ScopeFinding = z.infer<typeof ScopeFinding>;

/** A workstation finding or a gateway scope finding (`source: 'gateway'`), as the Findings page lists them. */
export const AnyFinding = z.union([ScopeFinding, Finding]);
export type AnyFinding = z.infer<typeof AnyFinding>;

export function isScopeFinding(f: AnyFinding): f is ScopeFinding {
  return 'source' in f && f.source === 'gateway';
}

/**
 * `findings.list`: the latest workstation scan plus the scope findings of every synced gateway.
 * `summary` counts both; `serverCounts` stays per workstation server id.
 */
export const FindingsListReport = FindingsReport.extend({
  findings: z.array(AnyFinding),
  /** Synced gateways whose scope findings are included. */
  gateways: z.array(z.object({ id: z.string(), name: z.string(), fetchedAt: z.string() })),
});
export type FindingsListReport = z.infer<typeof FindingsListReport>;
