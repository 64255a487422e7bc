import { AdminError } from '../../../shared/api/errors.js';
import type { PolicyDocument, PolicyVersion } from '../../../shared/model/policy.js';
import type { AdminAction } from '../audit/admin-log.js';
import type { SaveVersionInput } from '../policy/versions.js';

/**
 * Team state: what several admins must see the same way once a team store is configured —
 * suppressions, policy versions, gateway connection settings (never their credentials) and the
 * admin log. One async interface, two implementations: the local SQLite store (default, wraps the
 * existing tables) and the PostgreSQL team store.
 *
 * Concurrent edits: every mutable row has an opaque `version`. A write names the version it was
 * based on (`null`: the row must not exist yet; `'any'`: last write wins, for callers with nothing
 * to compare); when the row moved meanwhile the write is refused with a `StaleVersionError` naming
 * the object, who changed it and when, so nothing is silently overwritten.
 * Each write records its admin-log entry in the same transaction as the change.
 */

export type Expected = string | null | 'any';

export interface RowStamp {
  /** Opaque row version (compare for equality only). */
  version: string;
  updatedBy: string;
  updatedAt: string;
}

export interface SuppressionInput {
  id: string;
  ruleId: string;
  file: string;
  pointer: string;
  fingerprint?: string | undefined;
  reason: string;
  createdAt: string;
  expiresAt?: string | undefined;
  actor: string;
}

export type TeamSuppression = SuppressionInput & RowStamp;

export interface SuppressionRepository {
  list(): Promise<TeamSuppression[]>;
  get(id: string): Promise<TeamSuppression | undefined>;
  put(s: SuppressionInput, expected: Expected, log: AdminAction): Promise<TeamSuppression>;
  /** False when there was nothing to remove (and `expected` was not a version). */
  remove(id: string, expected: Expected, log: AdminAction): Promise<boolean>;
}

export interface PolicyVersionRepository {
  save(input: SaveVersionInput, log?: AdminAction): Promise<PolicyVersion>;
  list(gatewayId?: string): Promise<PolicyVersion[]>;
  get(hashOrPrefix: string): Promise<{ version: PolicyVersion; document: PolicyDocument }>;
}

/** A gateway connection's shared settings: never a credential (those stay in each OS secret store). */
export interface GatewaySettingsInput {
  id: string;
  name: string;
  kind: string;
  baseUrl: string;
  authType: string;
  username?: string | undefined;
  caFile?: string | undefined;
  timeoutMs: number;
  ssoIssuer?: string | undefined;
  ssoProviderId?: string | undefined;
}

export type GatewaySettings = GatewaySettingsInput & RowStamp & { createdAt: string };

/** The gateway settings columns both backends store under the same names. */
export interface GatewaySettingsRow {
  id: string;
  name: string;
  kind: string;
  base_url: string;
  auth_type: string;
  username: string | null;
  ca_file: string | null;
  timeout_ms: number;
  sso_issuer: string | null;
  sso_provider_id: string | null;
}

/** A stored row as settings (absent optional columns left out). */
export function gatewaySettingsOf(r: GatewaySettingsRow): GatewaySettingsInput {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    baseUrl: r.base_url,
    authType: r.auth_type,
    ...(r.username ? { username: r.username } : {}),
    ...(r.ca_file ? { caFile: r.ca_file } : {}),
    timeoutMs: r.timeout_ms,
    ...(r.sso_issuer ? { ssoIssuer: r.sso_issuer } : {}),
    ...(r.sso_provider_id ? { ssoProviderId: r.sso_provider_id } : {}),
  };
}

export interface GatewaySettingsRepository {
  list(): Promise<GatewaySettings[]>;
  get(idOrName: string): Promise<GatewaySettings | undefined>;
  put(g: GatewaySettingsInput, expected: Expected, log: AdminAction): Promise<GatewaySettings>;
  remove(id: string, expected: Expected, log: AdminAction): Promise<boolean>;
}

export interface TeamLogEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  hash: string;
}

export interface AdminLogRepository {
  append(a: AdminAction): Promise<TeamLogEntry>;
  /** Entries with seq > afterSeq, oldest first. */
  after(afterSeq: number, limit?: number): Promise<TeamLogEntry[]>;
  /** Walks the hash chain; the seq of the first broken entry, or null when intact. */
  verify(): Promise<number | null>;
}

export interface TeamState {
  kind: 'local' | 'team';
  /** Where it lives, safe to show (a team store URL with its password masked). */
  display: string;
  suppressions: SuppressionRepository;
  policyVersions: PolicyVersionRepository;
  gatewaySettings: GatewaySettingsRepository;
  adminLog: AdminLogRepository;
  close(): Promise<void>;
}

/** A write based on a version that is no longer current: names the object and who moved it. */
export class StaleVersionError extends AdminError {
  constructor(
    readonly object: string,
    readonly current: RowStamp | null,
    readonly expected: Expected,
  ) {
    super(
      'conflict',
      current
        ? expected === null
          ? `${object} already exists: ${current.updatedBy} set it at ${current.updatedAt}. Reload it and apply your change again.`
          : `${object} was changed by ${current.updatedBy} at ${current.updatedAt} since you loaded it. Reload it and apply your change again; nothing was overwritten.`
        : `${object} was removed by someone else since you loaded it; nothing was changed.`,
    );
    this.name = 'StaleVersionError';
  }
}

/** Throws when `current` does not satisfy `expected`. */
export function checkVersion(object: string, current: RowStamp | undefined, expected: Expected): void {
  if (expected === 'any') return;
  if (expected === null) {
    if (current) throw new StaleVersionError(object, current, expected);
    return;
  }
  if (!current) throw new StaleVersionError(object, null, expected);
  if (current.version !== expected) throw new StaleVersionError(object, current, expected);
}
