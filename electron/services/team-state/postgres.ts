import type pg from 'pg';
import { AdminError } from '../../../shared/api/errors.js';
import { PolicyDocument, type PolicyVersion } from '../../../shared/model/policy.js';
import type { AdminAction } from '../audit/admin-log.js';
import { appendAdminLog, verifyAdminLog, type TeamStore } from '../fleet/store.js';
import type { Clock } from '../ports.js';
import { canonicalJson, checkExpectedHead, policyHash, type SaveVersionInput } from '../policy/versions.js';
import {
  StaleVersionError,
  type Expected,
  type GatewaySettings,
  gatewaySettingsOf,
  type GatewaySettingsInput,
  type GatewaySettingsRow,
  type RowStamp,
  type TeamLogEntry,
  type TeamState,
  type TeamSuppression,
} from './types.js';

/**
 * The team state in the PostgreSQL team store (migration 2), read and written as an admin login
 * role. Row versions are integers (`r<N>`); a write based on another version is refused with who
 * changed the row and when. Every change and its admin-log entry commit in one transaction.
 */

type Q = Pick<pg.ClientBase, 'query'>;

const SUPPRESSION_COLS = `id, rule_id, file, pointer, fingerprint, reason, created_at, expires_at, actor, row_version,
  updated_by, updated_at`;
const GATEWAY_COLS = `id, name, kind, base_url, auth_type, username, ca_file, timeout_ms, sso_issuer, sso_provider_id,
  created_at, row_version, updated_by, updated_at`;

interface SuppressionRow {
  id: string;
  rule_id: string;
  file: string;
  pointer: string;
  fingerprint: string | null;
  reason: string;
  created_at: string;
  expires_at: string | null;
  actor: string;
  row_version: number;
  updated_by: string;
  updated_at: Date;
}

interface GatewayRow extends GatewaySettingsRow {
  created_at: Date;
  row_version: number;
  updated_by: string;
  updated_at: Date;
}

const stamp = (r: { row_version: number; updated_by: string; updated_at: Date }): RowStamp => ({
  version: `r${r.row_version}`,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at.toISOString(),
});

/** The integer behind a version this backend issued; anything else can only be stale. */
const rowVersion = (v: string): number => (/^r\d{1,9}$/.test(v) ? Number(v.slice(1)) : -1);

const toSuppression = (r: SuppressionRow): TeamSuppression => ({
  id: r.id,
  ruleId: r.rule_id,
  file: r.file,
  pointer: r.pointer,
  ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
  reason: r.reason,
  createdAt: r.created_at,
  ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
  actor: r.actor,
  ...stamp(r),
});

const toGateway = (r: GatewayRow): GatewaySettings => ({
  ...gatewaySettingsOf(r),
  createdAt: r.created_at.toISOString(),
  ...stamp(r),
});

interface VersionRow {
  hash: string;
  parent: string | null;
  author: string;
  message: string;
  created_at: string;
  gateway_id: string | null;
  gateway_name: string | null;
  origin: PolicyVersion['origin'];
  changes: number;
}

const toVersion = (r: VersionRow): PolicyVersion => ({
  hash: r.hash,
  parent: r.parent,
  author: r.author,
  message: r.message,
  createdAt: r.created_at,
  gatewayId: r.gateway_id,
  gatewayName: r.gateway_name,
  origin: r.origin,
  changes: r.changes,
});
const VERSION_COLS = 'hash, parent, author, message, created_at, gateway_id, gateway_name, origin, changes';

/**
 * A versioned write on one row: INSERT when `expected` is null (a concurrent insert loses on the
 * primary key), UPDATE … WHERE row_version = expected otherwise, an upsert for 'any'. When no row
 * was written, the current row (if any) names who moved it.
 */
async function versionedWrite<R extends { row_version: number; updated_by: string; updated_at: Date }>(
  c: Q,
  object: string,
  expected: Expected,
  sql: { insert: string; update: string; upsert: string; current: string },
  params: unknown[],
  key: string,
): Promise<R> {
  const q =
    expected === null
      ? await c.query<R>(sql.insert, params)
      : expected === 'any'
        ? await c.query<R>(sql.upsert, params)
        : await c.query<R>(sql.update, [...params, rowVersion(expected)]);
  if (q.rows[0]) return q.rows[0];
  const cur = (await c.query<R>(sql.current, [key])).rows[0];
  throw new StaleVersionError(object, cur ? stamp(cur) : null, expected);
}

export function postgresTeamState(pool: TeamStore, clock: Clock): TeamState {
  // Driver errors (already scrubbed of the password) become `unavailable`, naming the team store.
  const unavailable = (err: unknown): never => {
    if (err instanceof AdminError) throw err;
    throw new AdminError('unavailable', `Team store ${pool.display}: ${(err as Error).message}`);
  };
  const store = {
    display: pool.display,
    withClient: <T>(fn: (c: pg.PoolClient) => Promise<T>) => pool.withClient(fn).catch(unavailable),
    transaction: <T>(fn: (c: pg.PoolClient) => Promise<T>) => pool.transaction(fn).catch(unavailable),
    close: () => pool.close(),
  };
  const getSuppression = async (c: Q, id: string) => {
    const r = await c.query<SuppressionRow>(`SELECT ${SUPPRESSION_COLS} FROM team_suppressions WHERE id = $1`, [id]);
    return r.rows[0] ? toSuppression(r.rows[0]) : undefined;
  };
  const getGateway = async (c: Q, idOrName: string) => {
    const r = await c.query<GatewayRow>(
      `SELECT ${GATEWAY_COLS} FROM team_gateway_settings WHERE id = $1 OR name = $1`,
      [idOrName],
    );
    return r.rows[0] ? toGateway(r.rows[0]) : undefined;
  };
  const log = (c: Q & pg.ClientBase, a: AdminAction) =>
    appendAdminLog(c, { action: a.action, target: a.target, detail: a.details ?? {}, actor: a.actor });

  /** Deletes one row at the expected version; false when absent and nothing was expected. */
  const versionedDelete = async (
    c: Q,
    table: 'team_suppressions' | 'team_gateway_settings',
    object: string,
    id: string,
    expected: Expected,
  ): Promise<boolean> => {
    const del =
      expected === null || expected === 'any'
        ? await c.query(`DELETE FROM ${table} WHERE id = $1`, [id])
        : await c.query(`DELETE FROM ${table} WHERE id = $1 AND row_version = $2`, [id, rowVersion(expected)]);
    if (del.rowCount) return true;
    if (expected === null || expected === 'any') return false;
    const cur = (
      await c.query<{ row_version: number; updated_by: string; updated_at: Date }>(
        `SELECT row_version, updated_by, updated_at FROM ${table} WHERE id = $1`,
        [id],
      )
    ).rows[0];
    throw new StaleVersionError(object, cur ? stamp(cur) : null, expected);
  };

  return {
    kind: 'team',
    display: store.display,
    suppressions: {
      list: () =>
        store.withClient(async (c) =>
          (await c.query<SuppressionRow>(`SELECT ${SUPPRESSION_COLS} FROM team_suppressions ORDER BY id`)).rows.map(
            toSuppression,
          ),
        ),
      get: (id) => store.withClient((c) => getSuppression(c, id)),
      put: (s, expected, entry) =>
        store.transaction(async (c) => {
          const cols = `rule_id = $2, file = $3, pointer = $4, fingerprint = $5, reason = $6, created_at = $7,
            expires_at = $8, actor = $9, updated_by = $9, updated_at = now()`;
          const row = await versionedWrite<SuppressionRow>(
            c,
            `Suppression of finding ${s.id}`,
            expected,
            {
              insert: `INSERT INTO team_suppressions (id, rule_id, file, pointer, fingerprint, reason, created_at, expires_at,
                  actor, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                ON CONFLICT (id) DO NOTHING RETURNING ${SUPPRESSION_COLS}`,
              upsert: `INSERT INTO team_suppressions (id, rule_id, file, pointer, fingerprint, reason, created_at, expires_at,
                  actor, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                ON CONFLICT (id) DO UPDATE SET rule_id = EXCLUDED.rule_id, file = EXCLUDED.file,
                  pointer = EXCLUDED.pointer, fingerprint = EXCLUDED.fingerprint, reason = EXCLUDED.reason,
                  created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, actor = EXCLUDED.actor,
                  updated_by = EXCLUDED.updated_by, updated_at = now(),
                  row_version = team_suppressions.row_version + 1 RETURNING ${SUPPRESSION_COLS}`,
              update: `UPDATE team_suppressions SET ${cols}, row_version = row_version + 1
                WHERE id = $1 AND row_version = $10 RETURNING ${SUPPRESSION_COLS}`,
              current: `SELECT row_version, updated_by, updated_at FROM team_suppressions WHERE id = $1`,
            },
            [
              s.id,
              s.ruleId,
              s.file,
              s.pointer,
              s.fingerprint ?? null,
              s.reason,
              s.createdAt,
              s.expiresAt ?? null,
              s.actor,
            ],
            s.id,
          );
          await log(c, entry);
          return toSuppression(row);
        }),
      remove: (id, expected, entry) =>
        store.transaction(async (c) => {
          const removed = await versionedDelete(c, 'team_suppressions', `Suppression of finding ${id}`, id, expected);
          if (removed) await log(c, entry);
          return removed;
        }),
    },
    policyVersions: {
      save: (input: SaveVersionInput, entry?: AdminAction) =>
        store.transaction(async (c) => {
          const doc = PolicyDocument.parse(input.doc);
          const hash = policyHash(doc);
          // Serialize saves so "the latest version of the gateway" is a well-defined parent.
          await c.query('SELECT pg_advisory_xact_lock(7431003)');
          const headRow = (
            await c.query<VersionRow>(
              input.gatewayId
                ? `SELECT ${VERSION_COLS} FROM team_policy_versions WHERE gateway_id = $1 ORDER BY id DESC LIMIT 1`
                : `SELECT ${VERSION_COLS} FROM team_policy_versions ORDER BY id DESC LIMIT 1`,
              input.gatewayId ? [input.gatewayId] : [],
            )
          ).rows[0];
          // Under the lock: the head read here is the one the insert below builds on.
          checkExpectedHead(input, headRow ? toVersion(headRow) : undefined);
          const parent = input.parent !== undefined ? input.parent : (headRow?.hash ?? null);
          await c.query(
            'INSERT INTO team_policy_documents (hash, document_json) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING',
            [hash, canonicalJson(doc)],
          );
          const r = await c.query<VersionRow>(
            `INSERT INTO team_policy_versions (hash, parent, author, message, created_at, gateway_id, gateway_name, origin, changes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${VERSION_COLS}`,
            [
              hash,
              parent,
              input.author,
              input.message,
              clock.now().toISOString(),
              input.gatewayId ?? null,
              input.gatewayName ?? null,
              input.origin,
              input.changes,
            ],
          );
          if (entry) await log(c, entry);
          return toVersion(r.rows[0]!);
        }),
      list: (gatewayId) =>
        store.withClient(async (c) =>
          (gatewayId
            ? await c.query<VersionRow>(
                `SELECT ${VERSION_COLS} FROM team_policy_versions WHERE gateway_id = $1 ORDER BY id DESC`,
                [gatewayId],
              )
            : await c.query<VersionRow>(`SELECT ${VERSION_COLS} FROM team_policy_versions ORDER BY id DESC`)
          ).rows.map(toVersion),
        ),
      get: (hashOrPrefix) =>
        store.withClient(async (c) => {
          const prefix = hashOrPrefix.toLowerCase();
          if (!/^[0-9a-f]{4,64}$/.test(prefix))
            throw new AdminError('bad-request', `"${hashOrPrefix}" is not a version hash`);
          const hashes = (
            await c.query<{ hash: string }>(
              `SELECT hash FROM team_policy_documents WHERE hash >= $1 AND hash < $2 ORDER BY hash LIMIT 2`,
              [prefix, prefix + 'g'],
            )
          ).rows.map((r) => r.hash);
          if (hashes.length === 0) throw new AdminError('not-found', `No policy version ${hashOrPrefix}`);
          if (hashes.length > 1)
            throw new AdminError('bad-request', `Version prefix ${hashOrPrefix} is ambiguous; give more digits`);
          const v = await c.query<VersionRow>(
            `SELECT ${VERSION_COLS} FROM team_policy_versions WHERE hash = $1 ORDER BY id DESC LIMIT 1`,
            [hashes[0]],
          );
          const d = await c.query<{ document_json: string }>(
            'SELECT document_json FROM team_policy_documents WHERE hash = $1',
            [hashes[0]],
          );
          if (!v.rows[0] || !d.rows[0]) throw new AdminError('not-found', `No policy version ${hashOrPrefix}`);
          return {
            version: toVersion(v.rows[0]),
            document: PolicyDocument.parse(JSON.parse(d.rows[0].document_json)),
          };
        }),
    },
    gatewaySettings: {
      list: () =>
        store.withClient(async (c) =>
          (await c.query<GatewayRow>(`SELECT ${GATEWAY_COLS} FROM team_gateway_settings ORDER BY name`)).rows.map(
            toGateway,
          ),
        ),
      get: (idOrName) => store.withClient((c) => getGateway(c, idOrName)),
      put: (g: GatewaySettingsInput, expected, entry) =>
        store.transaction(async (c) => {
          const who = entry.actor ?? (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
          const cols = [
            'name',
            'kind',
            'base_url',
            'auth_type',
            'username',
            'ca_file',
            'timeout_ms',
            'sso_issuer',
            'sso_provider_id',
            'updated_by',
          ];
          const set = cols.map((k, i) => `${k} = $${i + 2}`).join(', ');
          const insert = `INSERT INTO team_gateway_settings (id, ${cols.join(', ')})
            VALUES ($1, ${cols.map((_, i) => `$${i + 2}`).join(', ')})`;
          const current = (await getGateway(c, g.id))?.name ?? g.name;
          const row = await versionedWrite<GatewayRow>(
            c,
            `Gateway "${current}"`,
            expected,
            {
              insert: `${insert} ON CONFLICT (id) DO NOTHING RETURNING ${GATEWAY_COLS}`,
              upsert: `${insert} ON CONFLICT (id) DO UPDATE SET ${cols.map((k) => `${k} = EXCLUDED.${k}`).join(', ')},
                updated_at = now(), row_version = team_gateway_settings.row_version + 1 RETURNING ${GATEWAY_COLS}`,
              update: `UPDATE team_gateway_settings SET ${set}, updated_at = now(), row_version = row_version + 1
                WHERE id = $1 AND row_version = $${cols.length + 2} RETURNING ${GATEWAY_COLS}`,
              current: `SELECT row_version, updated_by, updated_at FROM team_gateway_settings WHERE id = $1`,
            },
            [
              g.id,
              g.name,
              g.kind,
              g.baseUrl,
              g.authType,
              g.username ?? null,
              g.caFile ?? null,
              g.timeoutMs,
              g.ssoIssuer ?? null,
              g.ssoProviderId ?? null,
              who,
            ],
            g.id,
          ).catch((err: unknown) => {
            if ((err as { code?: string }).code === '23505')
              throw new AdminError('conflict', `A gateway named "${g.name}" already exists in the team store`);
            throw err;
          });
          await log(c, entry);
          return toGateway(row);
        }),
      remove: (id, expected, entry) =>
        store.transaction(async (c) => {
          const cur = await getGateway(c, id);
          const removed = await versionedDelete(
            c,
            'team_gateway_settings',
            `Gateway "${cur?.name ?? id}"`,
            cur?.id ?? id,
            expected,
          );
          if (removed) await log(c, entry);
          return removed;
        }),
    },
    adminLog: {
      append: (a) =>
        store.transaction(async (c) => {
          const e = await log(c, a);
          return toLogEntry(e);
        }),
      after: (afterSeq, limit = 1000) =>
        store.withClient(async (c) =>
          (
            await c.query<{
              id: string;
              at: Date;
              actor: string;
              action: string;
              target: string | null;
              detail: Record<string, unknown> | null;
              hash: string;
            }>('SELECT id, at, actor, action, target, detail, hash FROM admin_log WHERE id > $1 ORDER BY id LIMIT $2', [
              afterSeq,
              limit,
            ])
          ).rows.map((r) => ({
            seq: Number(r.id),
            at: r.at.toISOString(),
            actor: r.actor,
            action: r.action,
            target: r.target ?? '',
            details: r.detail ?? {},
            hash: r.hash,
          })),
        ),
      verify: () => store.withClient((c) => verifyAdminLog(c)),
    },
    close: () => store.close(),
  };
}

function toLogEntry(e: {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
  hash: string;
}): TeamLogEntry {
  return {
    seq: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target ?? '',
    details: (e.detail ?? {}) as Record<string, unknown>,
    hash: e.hash,
  };
}
