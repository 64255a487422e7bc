import { z } from 'zod';
import {
  CompileResult,
  CompileTarget,
  PolicyDiagnostic,
  PolicyFormat,
  PolicyPlan,
  PolicyVersion,
  PushResult,
  SimulationResult,
} from '../model/policy.js';
import { method } from './define.js';

/** Policy text as the editor or a file holds it (YAML or JSON); 2 MiB is far above 20,000 tools. */
const PolicyText = z.string().max(2 * 1024 * 1024, 'a policy document is at most 2 MiB');
const GatewayRef = z.string().min(1);
/** A version hash a write was based on; null: the lineage had no version yet; omitted: no check. */
const ExpectedVersion = z.string().min(4).max(64).nullable().optional();

export const policyMethods = {
  'policy.schema': method({
    input: z.object({}).strict(),
    output: z.object({ schema: z.record(z.string(), z.unknown()) }),
    mutates: false,
    summary: 'The JSON Schema of the policy document (editor completion, external tooling).',
  }),
  'policy.pull': method({
    input: z.object({ gatewayId: GatewayRef, format: PolicyFormat.default('yaml') }).strict(),
    output: z.object({
      text: z.string(),
      /** Identifies the gateway state read; a later push checks the gateway has not moved on since. */
      baseId: z.string(),
      fetchedAt: z.string(),
      diagnostics: z.array(PolicyDiagnostic),
      /** The version the pull recorded: send it back as `expectedVersion` on the next save or push. */
      versionHash: z.string().optional(),
    }),
    mutates: true,
    summary: 'Read the live gateway and express its policy as a document.',
  }),
  'policy.validate': method({
    input: z.object({ text: PolicyText, gatewayId: GatewayRef.optional() }).strict(),
    output: z.object({ ok: z.boolean(), diagnostics: z.array(PolicyDiagnostic) }),
    mutates: false,
    summary: 'Check a document: schema, names against the gateway and inventory, rules, guardrails, targets.',
  }),
  'policy.plan': method({
    input: z
      .object({
        text: PolicyText,
        gatewayId: GatewayRef.optional(),
        /** Compare with a stored version instead of the live gateway. */
        versionHash: z.string().optional(),
        baseId: z.string().optional(),
      })
      .strict(),
    output: PolicyPlan,
    mutates: false,
    summary: 'The ordered API changes and the tenant-matrix delta between a draft and a gateway or version.',
  }),
  'policy.simulate': method({
    input: z
      .object({
        text: PolicyText,
        /** The live policy to compare with (default: the document's gateway, or the only one). */
        gatewayId: GatewayRef.optional(),
        since: z.string().optional(),
        until: z.string().optional(),
      })
      .strict(),
    output: SimulationResult,
    mutates: false,
    summary: 'Replay recorded audit events through the draft and the live policy; report changed decisions.',
  }),
  'policy.push': method({
    input: z
      .object({
        text: PolicyText,
        gatewayId: GatewayRef,
        message: z.string().max(2000).default(''),
        dryRun: z.boolean().default(false),
        baseId: z.string().optional(),
        /** The gateway's latest version the draft was based on (null: none); a newer one is a conflict. */
        expectedVersion: ExpectedVersion,
      })
      .strict(),
    output: PushResult,
    mutates: true,
    summary: 'Apply a draft to a gateway: conflict check, ordered writes, verify, compensate on failure.',
  }),
  'policy.save': method({
    input: z
      .object({
        text: PolicyText,
        /** The gateway whose lineage the version joins; omitted: the unbound lineage. */
        gatewayId: GatewayRef.optional(),
        message: z.string().max(2000).default(''),
        /**
         * The lineage's latest version hash the draft was based on (null: there was none). When
         * another admin saved meanwhile the save is refused as a conflict naming them.
         */
        expectedVersion: ExpectedVersion,
      })
      .strict(),
    output: PolicyVersion,
    mutates: true,
    summary: 'Store a draft as a policy version without pushing it (shared through the team store when configured).',
  }),
  'policy.versions': method({
    input: z.object({ gatewayId: GatewayRef.optional() }).strict(),
    output: z.array(PolicyVersion),
    mutates: false,
    summary: 'Stored policy versions, newest first.',
  }),
  'policy.version': method({
    input: z.object({ hash: z.string().min(4), format: PolicyFormat.default('yaml') }).strict(),
    output: z.object({ version: PolicyVersion, text: z.string() }),
    mutates: false,
    summary: 'One stored version and its document.',
  }),
  'policy.diffVersions': method({
    input: z.object({ from: z.string().min(4), to: z.string().min(4) }).strict(),
    output: PolicyPlan,
    mutates: false,
    summary: 'The changes from one stored version to another.',
  }),
  'policy.rollback': method({
    input: z
      .object({
        hash: z.string().min(4),
        gatewayId: GatewayRef,
        message: z.string().max(2000).default(''),
        dryRun: z.boolean().default(false),
      })
      .strict(),
    output: PushResult,
    mutates: true,
    summary: 'Push an earlier version through the same checks as any push.',
  }),
  'policy.compile': method({
    input: z.object({ text: PolicyText, target: CompileTarget }).strict(),
    output: CompileResult,
    mutates: false,
    summary: "Compile a document to a gateway's own policy language, listing what the target cannot express.",
  }),
};

export const policyEvents = {
  /** Progress of a push or a simulation (the UI shows it). */
  'policy.progress': z.object({
    operation: z.enum(['push', 'simulate', 'pull']),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    message: z.string(),
  }),
};
