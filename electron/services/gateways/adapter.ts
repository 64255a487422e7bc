import type {
  GatewayKind,
  GatewaySnapshot,
  GwAuditEvent,
  GwMember,
  GwRole,
  GwRoleAssignment,
  GwTeam,
  GwToken,
  GwTool,
  GwUpstream,
  GwUser,
  GwVirtualServer,
} from '../../../shared/model/gateway.js';

/** What the adapter needs to reach a gateway; the secret comes from the secret store, per call. */
export interface GatewayTarget {
  id: string;
  name: string;
  kind: GatewayKind;
  baseUrl: string;
  authType: 'bearer' | 'basic' | 'none';
  username?: string;
  secret?: string;
  /** PEM text of extra CA certificates. */
  ca?: string;
  timeoutMs: number;
}

export interface AuditQuery {
  since?: string;
  until?: string;
  action?: string[];
  resourceType?: string[];
  user?: string;
  /** Maximum records returned (the adapter pages through the API). */
  limit: number;
}

export interface Identity {
  /** Who the credential authenticates as. */
  subject: string;
  isAdmin: boolean;
  version?: string;
}

/**
 * One gateway product's admin surface, read-only for now. Every list method pages through the
 * whole collection. Policy read/write arrives with the policy capability: `readPolicy` /
 * `writePolicy` are declared optional so adapters can add them without changing callers.
 */
export interface GatewayAdapter {
  readonly kind: GatewayKind;
  /** Checks reachability and the credential; throws GatewayError. */
  whoami(): Promise<Identity>;
  listUpstreams(): Promise<GwUpstream[]>;
  listTools(): Promise<GwTool[]>;
  listVirtualServers(): Promise<GwVirtualServer[]>;
  listTeams(): Promise<GwTeam[]>;
  listMembers(teamId: string): Promise<GwMember[]>;
  listUsers(): Promise<GwUser[]>;
  listRoles(): Promise<GwRole[]>;
  listRoleAssignments(email: string): Promise<GwRoleAssignment[]>;
  listTokens(): Promise<GwToken[]>;
  listAuditEvents(query: AuditQuery): Promise<GwAuditEvent[]>;
  /** Reads everything above into one snapshot; parts the credential may not read become warnings. */
  snapshot(): Promise<GatewaySnapshot>;
  /** Reserved for the policy capability (not implemented by any adapter yet). */
  readPolicy?(): Promise<unknown>;
  writePolicy?(policy: unknown, opts: { dryRun: boolean }): Promise<unknown>;
}
