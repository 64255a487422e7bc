import { z } from 'zod';
import {
  GatewayConnection,
  GatewayInput,
  GatewaySnapshot,
  GatewayTestResult,
  GatewayUpdate,
  GwAuditEvent,
  MergedInventory,
} from '../model/gateway.js';
import { AccessMatrix, ScopeFinding } from '../model/tenant.js';
import { method } from './define.js';

const ById = z.object({ id: z.string() }).strict();

/** What sharing a gateway puts in the team store: its settings, never a credential. */
export const SharedGatewaySettings = z.object({
  name: z.string(),
  kind: z.string(),
  baseUrl: z.string(),
  authType: z.string(),
  username: z.string().optional(),
  caFile: z.string().optional(),
  timeoutMs: z.number().int(),
  ssoIssuer: z.string().optional(),
  ssoProviderId: z.string().optional(),
});
export type SharedGatewaySettings = z.infer<typeof SharedGatewaySettings>;

export const GatewayShareResult = z.object({
  gateway: GatewayConnection,
  /** Exactly the settings in the team store (preview: that would be). */
  settings: SharedGatewaySettings,
  /** The credential is not shared: whether one stays in this workstation's secret store, and which. */
  credential: z.object({ stored: z.boolean(), secretStore: z.string() }),
  /** The team store (password masked). */
  teamStore: z.string(),
  /** The team already has this gateway with identical settings: sharing joins that row. */
  joins: z.object({ updatedBy: z.string(), updatedAt: z.string() }).optional(),
  /** False for a preview (nothing written). */
  done: z.boolean(),
});
export type GatewayShareResult = z.infer<typeof GatewayShareResult>;

export const gatewayMethods = {
  'gateways.list': method({
    input: z.object({}).strict(),
    output: z.array(GatewayConnection),
    mutates: false,
    summary: 'Configured gateways (credentials are never returned, only whether one is stored).',
  }),
  'gateways.add': method({
    input: GatewayInput,
    output: GatewayConnection,
    mutates: true,
    summary: 'Add a gateway connection; its credential goes to the secret store.',
  }),
  'gateways.update': method({
    input: GatewayUpdate,
    output: GatewayConnection,
    mutates: true,
    summary: 'Edit a gateway connection (a new secret replaces the stored one).',
  }),
  'gateways.remove': method({
    input: z
      .object({
        id: z.string(),
        /** The team row version the removal was based on; a newer one is a conflict. */
        expectedVersion: z.string().min(1).optional(),
      })
      .strict(),
    output: z.object({ removed: z.boolean() }),
    mutates: true,
    summary: 'Remove a gateway connection, its stored credential and its snapshot.',
  }),
  'gateways.share': method({
    input: z
      .object({
        id: z.string(),
        /**
         * preview: what would go to the team store (nothing written); share: put it there (a local-only
         * gateway becomes the team's); unshare: undo, take it out of the team store (local-only again here).
         */
        mode: z.enum(['preview', 'share', 'unshare']).default('preview'),
        /** unshare: the team row version it was based on (`team.version`); a newer one is a conflict. */
        expectedVersion: z.string().min(1).optional(),
      })
      .strict(),
    output: GatewayShareResult,
    mutates: true,
    summary:
      "Share a gateway added before the team store with the team (settings only; the token stays in this workstation's secret store), or undo it.",
  }),
  'gateways.test': method({
    input: ById,
    output: GatewayTestResult,
    mutates: true,
    summary: 'Check that the gateway answers and the credential can read it.',
  }),
  'gateways.testDraft': method({
    input: GatewayInput,
    output: GatewayTestResult,
    mutates: false,
    summary:
      'Test a connection before adding it (the Add form): nothing is saved; SSO gateways are tested after sign-in.',
  }),
  'gateways.sync': method({
    input: z.object({ id: z.string().optional() }).strict(),
    output: z.array(
      z.object({
        gatewayId: z.string(),
        ok: z.boolean(),
        message: z.string(),
        fetchedAt: z.string().optional(),
        /** Parts the gateway refused (e.g. tokens on 403): the snapshot is partial. */
        warnings: z.array(z.string()).optional(),
      }),
    ),
    mutates: true,
    summary: 'Read servers, tools, teams, roles and tokens from one gateway (or all) and store the snapshot.',
  }),
  'gateways.snapshot': method({
    input: ById,
    output: GatewaySnapshot.nullable(),
    mutates: false,
    summary: 'The last stored snapshot of a gateway, or null before the first sync.',
  }),
  'gateways.inventory': method({
    input: z.object({}).strict(),
    output: MergedInventory,
    mutates: false,
    summary: 'Workstation servers merged with gateway upstreams (one row per upstream URL), plus virtual servers.',
  }),
  'gateways.access': method({
    input: z.object({ id: z.string().optional() }).strict(),
    output: z.array(AccessMatrix),
    mutates: false,
    summary: 'Effective access team × virtual server × tool for one gateway (or every synced one).',
  }),
  'gateways.findings': method({
    input: z.object({ id: z.string().optional() }).strict(),
    output: z.array(ScopeFinding),
    mutates: false,
    summary: 'Tenant-scope findings (scope.*) over the stored gateway snapshots.',
  }),
  'gateways.login': method({
    input: ById,
    output: z.object({
      /** Open this in a browser tab; the sign-in completes when it redirects back (event gateways.login). */
      authorizationUrl: z.string(),
      /** The desktop app opened it in the system browser already. */
      opened: z.boolean(),
    }),
    mutates: true,
    summary:
      'Start signing in to an SSO gateway through its own single sign-on (loopback redirect on 127.0.0.1); the minted API token goes to the secret store only.',
  }),
  'gateways.logout': method({
    input: ById,
    output: z.object({ signedOut: z.boolean(), revoked: z.boolean(), message: z.string() }),
    mutates: true,
    summary: 'Sign out of an SSO gateway: revoke the API token where the gateway allows it, then delete it.',
  }),
  'gateways.audit': method({
    input: z
      .object({
        id: z.string(),
        since: z.string().optional(),
        until: z.string().optional(),
        action: z.array(z.string()).optional(),
        resourceType: z.array(z.string()).optional(),
        limit: z.number().int().min(1).max(5000).default(200),
      })
      .strict(),
    output: z.array(GwAuditEvent),
    mutates: false,
    summary: "Audit-trail records read live from the gateway's audit API.",
  }),
};

export const gatewayEvents = {
  'gateways.login': z.object({
    gatewayId: z.string(),
    stage: z.enum(['waiting', 'signed-in', 'failed']),
    /** Who signed in (the gateway's account), once signed in. */
    email: z.string().optional(),
    /** Why it failed (never a token or code). */
    error: z.string().optional(),
  }),
  'gateways.synced': z.object({ gatewayId: z.string(), ok: z.boolean(), fetchedAt: z.string() }),
};
