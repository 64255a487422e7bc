import { createHash, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import pg from 'pg';
import { AdminError } from '../../../shared/api/errors.js';
import { ADMIN_ROLE, POSTGRES_MIGRATIONS, REPORTER_ROLE, type Migration } from './migrations.js';
import { isPostgresUrl, maskDatabaseUrl, safeError } from './url.js';

/**
 * The PostgreSQL team store: a `pg` pool, the migrations, team-key, enrollment and admin-log
 * helpers. Every error leaving here has the URL's password scrubbed.
 */
export interface TeamStore {
  pool: pg.Pool;
  /** The URL with its password masked (for messages). */
  display: string;
  /** Runs `fn` with a pooled client; errors are scrubbed of the password. */
  withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;
  /** BEGIN … COMMIT around `fn` (ROLLBACK on error). */
  transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  max?: number;
  /** Milliseconds to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
  application?: string;
}

export function openTeamStore(url: string, opts: OpenOptions = {}): TeamStore {
  if (!isPostgresUrl(url)) {
    throw new Error(`the team store URL must start with postgres:// or postgresql:// (got ${maskDatabaseUrl(url)})`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: opts.application ?? 'gatehouse',
  });
  // An idle client losing its connection must not crash the process (the next query reconnects).
  pool.on('error', () => {});
  const withClient = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw safeError(err, url);
    }
    // A connection cut while checked out (server restart, pg_terminate_backend, network) emits
    // 'error' on the client: keep it from crashing the process, and never reuse that connection.
    let dead: Error | undefined;
    const onError = (e: Error) => {
      dead = e;
    };
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (err instanceof AdminError) throw err; // ours: a message safe to show, kept as is
      if (!code || /^(08|57)/.test(code)) broken = err as Error;
      throw safeError(err, url);
    } finally {
      client.off('error', onError);
      client.release(dead ?? broken);
    }
  };
  return {
    pool,
    display: maskDatabaseUrl(url),
    withClient,
    transaction: (fn) =>
      withClient(async (c) => {
        await c.query('BEGIN');
        try {
          const out = await fn(c);
          await c.query('COMMIT');
          return out;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => {});
          throw err;
        }
      }),
    close: () => pool.end(),
  };
}

/** Applies pending migrations (as the owner role); returns the versions applied. */
export async function migrateTeamStore(
  store: TeamStore,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  return store.transaction(async (c) => {
    // One migrator at a time, cluster-wide roles included.
    await c.query('SELECT pg_advisory_xact_lock(7431001)');
    await c.query(`CREATE TABLE IF NOT EXISTS fleet_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await c.query<{ version: number }>('SELECT version FROM fleet_migrations')).rows.map((r) => r.version),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO fleet_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await c.query(`INSERT INTO team_keys (name, key_hex) VALUES ('fingerprint', $1) ON CONFLICT (name) DO NOTHING`, [
      randomBytes(32).toString('hex'),
    ]);
    return applied;
  });
}

/** The team fingerprint key (readable by reporters and admins). */
export async function teamFingerprintKey(c: pg.ClientBase): Promise<Buffer> {
  const r = await c.query<{ key_hex: string }>(`SELECT key_hex FROM team_keys WHERE name = 'fingerprint'`);
  if (!r.rows[0]) throw new Error('the team store has no fingerprint key: run `gatehouse fleet migrate` as its owner');
  return Buffer.from(r.rows[0].key_hex, 'hex');
}

function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(name)) throw new Error(`not a valid role name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Enrolls a machine: its reports must come from `role` (an existing login role the DBA created,
 * with whatever authentication it uses), which is granted the reporter group role. Owner or admin.
 */
export async function enrollMachine(store: TeamStore, machineId: string, role: string, actor?: string): Promise<void> {
  await store.transaction(async (c) => {
    await c.query(`GRANT ${REPORTER_ROLE} TO ${quoteIdent(role)}`);
    await c.query(
      `INSERT INTO machine_reporters (machine_id, role_name) VALUES ($1, $2)
       ON CONFLICT (machine_id) DO UPDATE SET role_name = EXCLUDED.role_name, enrolled_at = now(), enrolled_by = current_user`,
      [machineId, role],
    );
    await appendAdminLog(c, { action: 'fleet.enroll', target: machineId, detail: { role }, actor });
  });
}

/** Grants the admin group role to an existing login role (owner only). */
export async function grantAdmin(store: TeamStore, role: string): Promise<void> {
  await store.withClient((c) => c.query(`GRANT ${ADMIN_ROLE} TO ${quoteIdent(role)}`));
}

export interface AdminLogEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
  prevHash: string | null;
  hash: string;
}

function chainHash(
  prev: string | null,
  e: { at: string; actor: string; action: string; target: string | null; detail: unknown },
) {
  return createHash('sha256')
    .update(canonicalize([prev ?? '', e.at, e.actor, e.action, e.target ?? '', e.detail ?? null]) ?? '')
    .digest('hex');
}

/** Appends to the admin log inside the caller's transaction (serialized by an advisory lock). */
export async function appendAdminLog(
  c: pg.ClientBase,
  e: { action: string; target?: string; detail?: unknown; actor?: string | undefined },
): Promise<AdminLogEntry> {
  await c.query('SELECT pg_advisory_xact_lock(7431002)');
  const prev = await c.query<{ hash: string }>('SELECT hash FROM admin_log ORDER BY id DESC LIMIT 1');
  const who = e.actor ?? (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
  const at = new Date().toISOString();
  const prevHash = prev.rows[0]?.hash ?? null;
  const hash = chainHash(prevHash, {
    at,
    actor: who,
    action: e.action,
    target: e.target ?? null,
    detail: e.detail ?? null,
  });
  const ins = await c.query<{ id: string }>(
    'INSERT INTO admin_log (at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
    [at, who, e.action, e.target ?? null, e.detail === undefined ? null : JSON.stringify(e.detail), prevHash, hash],
  );
  return {
    id: Number(ins.rows[0]!.id),
    at,
    actor: who,
    action: e.action,
    target: e.target ?? null,
    detail: e.detail ?? null,
    prevHash,
    hash,
  };
}

/** Recomputes the chain; returns the id of the first broken entry, or null when intact. */
export async function verifyAdminLog(c: pg.ClientBase): Promise<number | null> {
  const rows = await c.query<{
    id: string;
    at: Date;
    actor: string;
    action: string;
    target: string | null;
    detail: unknown;
    prev_hash: string | null;
    hash: string;
  }>('SELECT id, at, actor, action, target, detail, prev_hash, hash FROM admin_log ORDER BY id');
  let prev: string | null = null;
  for (const r of rows.rows) {
    const h = chainHash(prev, {
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      detail: r.detail,
    });
    if (r.prev_hash !== prev || r.hash !== h) return Number(r.id);
    prev = r.hash;
  }
  return null;
}
