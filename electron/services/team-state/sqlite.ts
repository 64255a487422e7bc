import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { PolicyVersion } from '../../../shared/model/policy.js';
import {
  adminLogBinding,
  adminLogEntriesAfter,
  appendAdminAction,
  verifyAdminLog,
  type AdminAction,
} from '../audit/admin-log.js';
import { FindingsRepository } from '../findings/store.js';
import { getVersion, listVersions, saveVersion, type SaveVersionInput } from '../policy/versions.js';
import type { Clock } from '../ports.js';
import { transaction, type Database } from '../store/database.js';
import {
  checkVersion,
  type Expected,
  type GatewaySettings,
  gatewaySettingsOf,
  type GatewaySettingsRow,
  type TeamLogEntry,
  type TeamState,
  type TeamSuppression,
} from './types.js';

/**
 * The local (SQLite) team state: the existing tables, unchanged (no migration). A row's version is
 * the hash of its content, so a change made meanwhile — by another window or process on this
 * machine — is detected without a version column.
 */

const versionOf = (content: unknown): string =>
  'c' +
  createHash('sha256')
    .update(canonicalize(content) ?? '')
    .digest('hex')
    .slice(0, 16);

interface GatewayRow extends GatewaySettingsRow {
  created_at: string;
  updated_at: string;
}

export function localTeamState(db: Database, clock: Clock): TeamState {
  const findings = new FindingsRepository(db);
  const toSuppression = (
    s: ReturnType<FindingsRepository['suppressions']> extends Map<string, infer V> ? V : never,
  ) => {
    const base = {
      id: s.id,
      ruleId: s.ruleId,
      file: s.file,
      pointer: s.pointer,
      ...(s.fingerprint ? { fingerprint: s.fingerprint } : {}),
      reason: s.reason,
      createdAt: s.createdAt,
      ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
      actor: s.actor,
    };
    return { ...base, version: versionOf(base), updatedBy: s.actor, updatedAt: s.createdAt } satisfies TeamSuppression;
  };
  const getSuppression = (id: string) => {
    const s = findings.suppressions().get(id);
    return s ? toSuppression(s) : undefined;
  };
  const log = (a: AdminAction) => appendAdminAction(db, clock, a);

  // Who last changed a gateway: the newest gateway.* admin-log entry naming it (the table has no column).
  const lastGatewayActor = (name: string): string =>
    (
      db
        .prepare(`SELECT actor FROM admin_log WHERE target = ? AND action LIKE 'gateway.%' ORDER BY seq DESC LIMIT 1`)
        .get(name) as { actor: string } | undefined
    )?.actor ?? 'an admin on this workstation';
  const toGateway = (r: GatewayRow): GatewaySettings => {
    const base = gatewaySettingsOf(r);
    return {
      ...base,
      createdAt: r.created_at,
      version: versionOf({ ...base, updatedAt: r.updated_at }),
      updatedBy: lastGatewayActor(r.name),
      updatedAt: r.updated_at,
    };
  };
  const gatewayRow = (idOrName: string) =>
    db
      .prepare(
        `SELECT id, name, kind, base_url, auth_type, username, ca_file, timeout_ms, created_at, updated_at, sso_issuer,
           sso_provider_id FROM gateway_connections WHERE id = ? OR name = ?`,
      )
      .get(idOrName, idOrName) as GatewayRow | undefined;

  return {
    kind: 'local',
    display: 'local store (SQLite)',
    suppressions: {
      list: async () => [...findings.suppressions().values()].map(toSuppression),
      get: async (id) => getSuppression(id),
      put: async (s, expected: Expected, entry) =>
        transaction(db, () => {
          checkVersion(`Suppression of finding ${s.id}`, getSuppression(s.id), expected);
          findings.suppress(
            { id: s.id, ruleId: s.ruleId, location: { file: s.file, pointer: s.pointer }, fingerprint: s.fingerprint },
            {
              reason: s.reason,
              createdAt: s.createdAt,
              ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
              actor: s.actor,
            },
          );
          log(entry);
          return getSuppression(s.id)!;
        }),
      remove: async (id, expected, entry) =>
        transaction(db, () => {
          checkVersion(`Suppression of finding ${id}`, getSuppression(id), expected);
          const removed = findings.unsuppress(id);
          if (removed) log(entry);
          return removed;
        }),
    },
    policyVersions: {
      save: async (input: SaveVersionInput, entry?: AdminAction): Promise<PolicyVersion> =>
        transaction(db, () => {
          const v = saveVersion(db, clock, input);
          if (entry) log(entry);
          return v;
        }),
      list: async (gatewayId) => listVersions(db, gatewayId),
      get: async (hashOrPrefix) => getVersion(db, hashOrPrefix),
    },
    gatewaySettings: {
      list: async () =>
        (
          db
            .prepare(
              `SELECT id, name, kind, base_url, auth_type, username, ca_file, timeout_ms, created_at, updated_at,
                 sso_issuer, sso_provider_id FROM gateway_connections ORDER BY name`,
            )
            .all() as unknown as GatewayRow[]
        ).map(toGateway),
      get: async (idOrName) => {
        const r = gatewayRow(idOrName);
        return r ? toGateway(r) : undefined;
      },
      put: async (g, expected, entry) =>
        transaction(db, () => {
          const cur = gatewayRow(g.id);
          checkVersion(`Gateway "${cur?.name ?? g.name}"`, cur ? toGateway(cur) : undefined, expected);
          const now = clock.now().toISOString();
          const values = [
            g.name,
            g.kind,
            g.baseUrl,
            g.authType,
            g.username ?? null,
            g.caFile ?? null,
            g.timeoutMs,
            g.ssoIssuer ?? null,
            g.ssoProviderId ?? null,
          ];
          if (cur) {
            db.prepare(
              `UPDATE gateway_connections SET name = ?, kind = ?, base_url = ?, auth_type = ?, username = ?, ca_file = ?,
                 timeout_ms = ?, sso_issuer = ?, sso_provider_id = ?, updated_at = ? WHERE id = ?`,
            ).run(...values, now, g.id);
          } else {
            db.prepare(
              `INSERT INTO gateway_connections (name, kind, base_url, auth_type, username, ca_file, timeout_ms, sso_issuer,
                 sso_provider_id, id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            ).run(...values, g.id, now, now);
          }
          log(entry);
          return toGateway(gatewayRow(g.id)!);
        }),
      remove: async (id, expected, entry) =>
        transaction(db, () => {
          const cur = gatewayRow(id);
          checkVersion(`Gateway "${cur?.name ?? id}"`, cur ? toGateway(cur) : undefined, expected);
          if (!cur) return false;
          db.prepare('DELETE FROM gateway_connections WHERE id = ?').run(cur.id);
          log(entry);
          return true;
        }),
    },
    adminLog: {
      append: async (a) => toLogEntry(log(a)),
      after: async (afterSeq, limit = 1000) => adminLogEntriesAfter(db, afterSeq, limit).map(toLogEntry),
      verify: async () => verifyAdminLog(db, { key: adminLogBinding(db)?.key ?? null }).brokenAt?.seq ?? null,
    },
    close: async () => {},
  };
}

function toLogEntry(e: {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  hash: string;
}): TeamLogEntry {
  return { seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details, hash: e.hash };
}
