import { z } from 'zod';
import { ClientId } from '../model/discovery.js';
import { FindingsReport, FindingStatus, RuleId, Severity } from '../model/finding.js';
import { AnyFinding, FindingsListReport } from '../model/tenant.js';
import { method } from './define.js';

export const FindingsFilter = z
  .object({
    ruleId: RuleId.optional(),
    severity: Severity.optional(),
    status: FindingStatus.optional(),
    client: ClientId.optional(),
    serverId: z.string().optional(),
    /** Workstation findings, or gateway scope findings only. */
    source: z.enum(['workstation', 'gateway']).optional(),
    gatewayId: z.string().optional(),
    /** Also list fixed findings (workstation findings a later scan no longer reported); implied by status `fixed`. */
    includeFixed: z.boolean().optional(),
  })
  .strict();
export type FindingsFilter = z.infer<typeof FindingsFilter>;

export const findingsMethods = {
  'findings.scan': method({
    input: z.object({}).strict(),
    output: FindingsReport,
    mutates: true,
    summary:
      'Discover the workstation, run the static credential and configuration rules, store and return the findings.',
  }),
  'findings.list': method({
    input: FindingsFilter,
    output: FindingsListReport,
    mutates: false,
    summary:
      'The findings of the latest scan plus the scope findings of synced gateways (filtered), with the unfiltered summary and per-server counts.',
  }),
  'findings.sarif': method({
    input: z
      .object({
        /** The findings to export (what the page shows); omitted: every finding of the latest scan. */
        ids: z.array(z.string().min(1)).max(20_000).optional(),
      })
      .strict(),
    output: z.object({
      /** A SARIF 2.1.0 log (the same document `gatehouse scan --format sarif` writes). */
      sarif: z.record(z.string(), z.unknown()),
      /** How many results it holds. */
      results: z.number().int().nonnegative(),
      /** Requested ids SARIF does not carry: gateway scope findings and fixed findings. */
      skipped: z.number().int().nonnegative(),
    }),
    mutates: false,
    summary: 'The workstation findings of the latest scan (all, or the given ids) as SARIF 2.1.0, for code scanning.',
  }),
  'findings.suppress': method({
    input: z
      .object({
        id: z.string().min(1),
        reason: z.string().trim().min(1, 'A reason is required.').max(2000),
        /** ISO date-time; after it the finding re-opens. */
        expiresAt: z.iso.datetime({ offset: true }).optional(),
        /** The suppression's version as loaded (team store): a newer one is refused as a conflict. */
        expectedVersion: z.string().max(64).optional(),
      })
      .strict(),
    output: AnyFinding,
    mutates: true,
    summary: 'Accept a finding: suppressed with a reason (and optional expiry) until it expires; survives rescans.',
  }),
  'findings.unsuppress': method({
    input: z.object({ id: z.string().min(1), expectedVersion: z.string().max(64).optional() }).strict(),
    output: AnyFinding,
    mutates: true,
    summary: 'Re-open a suppressed finding.',
  }),
};

export const findingsEvents = {};
