import { z } from 'zod';
import { endpointUrl } from './endpoint-url.js';

/**
 * MCP gateways Gatehouse reads from (shared/reference/gateways.md). A connection holds no secret:
 * the credential lives only in the secret store, keyed by the connection id.
 */

export const GatewayKind = z.enum(['contextforge']);
export type GatewayKind = z.infer<typeof GatewayKind>;

/** `sso`: signed in through the gateway's own single sign-on (`gatehouse gateway login`). */
export const GatewayAuthType = z.enum(['bearer', 'basic', 'none', 'sso']);
export type GatewayAuthType = z.infer<typeof GatewayAuthType>;

export const GatewayTestStatus = z.enum(['ok', 'unauthorized', 'forbidden', 'tls', 'unreachable', 'timeout', 'error']);
export type GatewayTestStatus = z.infer<typeof GatewayTestStatus>;

export const GatewayTestResult = z.object({
  ok: z.boolean(),
  status: GatewayTestStatus,
  /** Human-readable outcome; for TLS problems it names the certificate error. */
  message: z.string(),
  at: z.string(),
  latencyMs: z.number().nonnegative(),
  /** Gateway version when it reports one. */
  version: z.string().optional(),
  /** Who the credential authenticates as. */
  identity: z.string().optional(),
  /** Permission names the credential was refused (401/403 on a read). */
  missingPermissions: z.array(z.string()).optional(),
});
export type GatewayTestResult = z.infer<typeof GatewayTestResult>;

/** A configured gateway as every output sees it. */
export const GatewayConnection = z.object({
  id: z.string(),
  name: z.string(),
  kind: GatewayKind,
  baseUrl: z.string(),
  authType: GatewayAuthType,
  /** Basic-auth user name (not a secret). */
  username: z.string().optional(),
  /** PEM file with extra CA certificates for private TLS. */
  caFile: z.string().optional(),
  timeoutMs: z.number().int().positive(),
  /** True when the secret store holds a credential for this connection. */
  hasCredential: z.boolean(),
  /** Masked credential (`prefix…last4`), never the value. */
  credentialHint: z.string().optional(),
  /** Kind of secret store holding the credential (keyring, safeStorage, encrypted-file…). */
  secretStore: z.string(),
  /** Shown when the secret store is a fallback (e.g. an encrypted file, or Linux basic_text). */
  secretStoreWarning: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastTest: GatewayTestResult.optional(),
  lastSyncAt: z.string().optional(),
  lastSyncError: z.string().optional(),
  /**
   * Set when the connection's settings are shared through the team store: their row version (send
   * it back as `expectedVersion` so a concurrent edit is a conflict) and who changed them last.
   * Credentials are never shared: each admin enters their own token or signs in on their machine.
   */
  team: z.object({ version: z.string(), updatedBy: z.string(), updatedAt: z.string() }).optional(),
  /**
   * Set when an admin team store is in use and this connection is only on this workstation (added
   * before the team store was configured): `gateways.share` offers it to the team.
   */
  localOnly: z.literal(true).optional(),
  /** Single sign-on (authType `sso`): the IdP, the gateway's provider id and who is signed in. Never a token. */
  sso: z
    .object({
      issuer: z.string(),
      providerId: z.string(),
      email: z.string().optional(),
      status: z.enum(['signed-out', 'active', 'sign-in-again']),
      statusMessage: z.string().optional(),
      expiresAt: z.string().optional(),
    })
    .optional(),
});
export type GatewayConnection = z.infer<typeof GatewayConnection>;

const NAME = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore; starts with a letter or digit');

/** The connection's fields, without defaults (an update names only what changes). */
const GatewayFields = z.object({
  name: NAME,
  kind: GatewayKind,
  baseUrl: z.url({
    protocol: /^https?$/,
    error: 'not a valid gateway URL; use http(s)://host[:port], e.g. https://gateway.example.com',
  }),
  authType: GatewayAuthType,
  /** Bearer token (or basic-auth password); goes straight to the secret store. */
  secret: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(500).max(120_000),
  /** authType `sso`: the identity provider's issuer, as configured in the gateway. */
  ssoIssuer: endpointUrl('SSO issuer').optional(),
  /** authType `sso`: the gateway's SSO provider id (`/v1/auth/sso/providers`); default: its only provider. */
  ssoProviderId: z.string().min(1).max(100).optional(),
});

export const GatewayInput = GatewayFields.extend({
  kind: GatewayFields.shape.kind.default('contextforge'),
  authType: GatewayFields.shape.authType.default('bearer'),
  timeoutMs: GatewayFields.shape.timeoutMs.default(15_000),
});
export type GatewayInput = z.input<typeof GatewayInput>;

// Not GatewayInput.partial(): zod 4 applies a default inside optional, so an update that only
// replaced the token would also reset the timeout and the auth type.
export const GatewayUpdate = GatewayFields.partial().extend({
  id: z.string(),
  /** Remove the stored CA file setting. */
  clearCaFile: z.boolean().optional(),
  /** The team row version the edit was based on (`team.version`); a newer one is a conflict. */
  expectedVersion: z.string().min(1).optional(),
});
export type GatewayUpdate = z.input<typeof GatewayUpdate>;

export const Visibility = z.enum(['private', 'team', 'public']);
export type Visibility = z.infer<typeof Visibility>;

/** An upstream MCP server registered in the gateway (ContextForge "gateway" object). */
export const GwUpstream = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  transport: z.string(),
  enabled: z.boolean(),
  reachable: z.boolean(),
  visibility: Visibility,
  teamId: z.string().optional(),
  ownerEmail: z.string().optional(),
  /** How the gateway authenticates to the upstream; the value itself is never read. */
  authType: z.string(),
  toolCount: z.number().int().nonnegative(),
});
export type GwUpstream = z.infer<typeof GwUpstream>;

export const GwTool = z.object({
  id: z.string(),
  name: z.string(),
  originalName: z.string(),
  upstreamId: z.string().optional(),
  description: z.string(),
  visibility: Visibility,
  teamId: z.string().optional(),
  enabled: z.boolean(),
  readOnly: z.boolean().optional(),
  destructive: z.boolean().optional(),
  /** Row version (ContextForge increments it on every PUT, never checks it) and last update: policy conflict checks. */
  version: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type GwTool = z.infer<typeof GwTool>;

/** A virtual server: the gateway's composition of tools exposed as one MCP endpoint. */
export const GwVirtualServer = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  visibility: Visibility,
  teamId: z.string().optional(),
  ownerEmail: z.string().optional(),
  enabled: z.boolean(),
  toolIds: z.array(z.string()),
  /** Row version and last update (see GwTool): policy conflict checks. */
  version: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type GwVirtualServer = z.infer<typeof GwVirtualServer>;

export const GwTeam = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  personal: z.boolean(),
  visibility: z.string(),
  memberCount: z.number().int().nonnegative(),
  description: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type GwTeam = z.infer<typeof GwTeam>;

export const GwMember = z.object({
  teamId: z.string(),
  email: z.string(),
  role: z.string(),
  active: z.boolean(),
});
export type GwMember = z.infer<typeof GwMember>;

export const GwUser = z.object({
  email: z.string(),
  fullName: z.string().optional(),
  isAdmin: z.boolean(),
  active: z.boolean(),
});
export type GwUser = z.infer<typeof GwUser>;

export const GwRole = z.object({
  id: z.string(),
  name: z.string(),
  /** `global`, `team` or `personal`. */
  scope: z.string(),
  permissions: z.array(z.string()),
  system: z.boolean(),
  description: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type GwRole = z.infer<typeof GwRole>;

export const GwRoleAssignment = z.object({
  email: z.string(),
  roleId: z.string(),
  scope: z.string(),
  /** Team id for team-scoped assignments. */
  scopeId: z.string().optional(),
  expiresAt: z.string().optional(),
  active: z.boolean(),
});
export type GwRoleAssignment = z.infer<typeof GwRoleAssignment>;

/** An API token the gateway issued (metadata only: the token value is never available). */
export const GwToken = z.object({
  id: z.string(),
  name: z.string(),
  userEmail: z.string(),
  teamId: z.string().optional(),
  serverId: z.string().optional(),
  /** Permission scopes the token is limited to; empty = the owner's permissions. */
  permissions: z.array(z.string()),
  createdAt: z.string().optional(),
  expiresAt: z.string().optional(),
  lastUsed: z.string().optional(),
  active: z.boolean(),
  revoked: z.boolean(),
});
export type GwToken = z.infer<typeof GwToken>;

/** One audit-trail record, normalized (ContextForge `audit_trails`). */
export const GwAuditEvent = z.object({
  id: z.string(),
  timestamp: z.string(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().optional(),
  resourceName: z.string().optional(),
  user: z.string().optional(),
  teamId: z.string().optional(),
  success: z.boolean(),
  correlationId: z.string().optional(),
  requiresReview: z.boolean(),
  dataClassification: z.string().optional(),
});
export type GwAuditEvent = z.infer<typeof GwAuditEvent>;

/** Everything read from one gateway at one time: the input of the merge and the access model. */
export const GatewaySnapshot = z.object({
  gatewayId: z.string(),
  gatewayName: z.string(),
  kind: GatewayKind,
  baseUrl: z.string(),
  fetchedAt: z.string(),
  upstreams: z.array(GwUpstream),
  tools: z.array(GwTool),
  servers: z.array(GwVirtualServer),
  teams: z.array(GwTeam),
  members: z.array(GwMember),
  users: z.array(GwUser),
  roles: z.array(GwRole),
  assignments: z.array(GwRoleAssignment),
  tokens: z.array(GwToken),
  /** Enabled single sign-on provider ids the gateway offers (public list); absent from older snapshots. */
  ssoProviders: z.array(z.string()).optional(),
  /** How this snapshot was read: the connection's auth type at sync time. */
  readWith: GatewayAuthType.optional(),
  /** Parts that could not be read (e.g. the token lacks a permission); the rest is still valid. */
  warnings: z.array(z.string()),
});
export type GatewaySnapshot = z.infer<typeof GatewaySnapshot>;

/** Where an inventory entry was found. */
export const InventorySourceRef = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('workstation'),
    serverId: z.string(),
    client: z.string(),
    name: z.string(),
    file: z.string(),
  }),
  z.object({
    kind: z.literal('gateway'),
    gatewayId: z.string(),
    gatewayName: z.string(),
    upstreamId: z.string(),
    name: z.string(),
  }),
]);
export type InventorySourceRef = z.infer<typeof InventorySourceRef>;

/** One server in the merged inventory: workstation entries and gateway upstreams on one URL are one row. */
export const MergedServer = z.object({
  /** Normalized upstream URL, or `workstation:<id>` for entries without a URL. */
  key: z.string(),
  name: z.string(),
  url: z.string().optional(),
  transport: z.string(),
  sources: z.array(InventorySourceRef).min(1),
  /** Tools the gateway knows for this upstream. */
  tools: z.array(z.object({ id: z.string(), name: z.string(), gatewayId: z.string() })),
  /** Set when a workstation entry points at a gateway virtual server rather than an upstream. */
  viaGateway: z.object({ gatewayId: z.string(), serverId: z.string().optional() }).optional(),
});
export type MergedServer = z.infer<typeof MergedServer>;

export const VirtualServerView = z.object({
  gatewayId: z.string(),
  gatewayName: z.string(),
  id: z.string(),
  name: z.string(),
  visibility: Visibility,
  teamId: z.string().optional(),
  teamName: z.string().optional(),
  enabled: z.boolean(),
  tools: z.array(z.object({ id: z.string(), name: z.string(), upstreamId: z.string().optional() })),
});
export type VirtualServerView = z.infer<typeof VirtualServerView>;

export const MergedInventory = z.object({
  servers: z.array(MergedServer),
  virtualServers: z.array(VirtualServerView),
  /** Gateways that had no snapshot yet or failed to sync. */
  notes: z.array(z.string()),
});
export type MergedInventory = z.infer<typeof MergedInventory>;
