import type pg from 'pg';
import { AdminError } from '../../../shared/api/errors.js';
import type { AdminLogAnchor, AuditScopes } from '../../../shared/model/audit.js';
import type { ServiceContext } from '../context.js';
import type { PgAuditStore } from '../fleet/audit.js';
import type { TeamStore } from '../fleet/store.js';
import { teamStoreAccess } from '../team-state/open.js';

/**
 * The team timeline (PostgreSQL `audit_events`, fleet/audit.ts) for this context: read through the
 * shared admin pool of the configured team store (team-state/open.ts). Only an admin's URL reads or
 * writes it; without a store, with a reporter's URL or an unreachable store every call is refused
 * as `unavailable` with the reason — never answered from this workstation's own timeline.
 */

export const NO_TEAM_STORE = 'No team store is configured (Settings → Team store).';
export const REPORTER_URL =
  "The team store URL is a reporter's (not a gatehouse_admin member): it can send scans, not read or write the team timeline.";

const stores = new WeakMap<TeamStore, { audit: PgAuditStore; pool: TeamStore }>();

/** The pool with driver errors turned into `unavailable` naming the store (password already scrubbed). */
function guarded(pool: TeamStore): TeamStore {
  const unavailable = (err: unknown): never => {
    if (err instanceof AdminError) throw err;
    const e = err as Error & { code?: string };
    // 42P01: undefined table — a team store created before the audit timeline migrations.
    if (e.code === '42P01')
      throw new AdminError(
        'unavailable',
        `Team store ${pool.display} has no audit timeline yet: migrate it (gatehouse fleet init --database-url …).`,
      );
    throw new AdminError('unavailable', `Team store ${pool.display}: ${e.message}`);
  };
  return {
    ...pool,
    withClient: <T>(fn: (c: pg.PoolClient) => Promise<T>) => pool.withClient(fn).catch(unavailable),
    transaction: <T>(fn: (c: pg.PoolClient) => Promise<T>) => pool.transaction(fn).catch(unavailable),
  };
}

export interface TeamTimeline {
  audit: PgAuditStore;
  /** The guarded pool (admin log reads for the export anchor). */
  pool: TeamStore;
  display: string;
}

/** The team timeline, or `unavailable` with why not. */
export async function teamTimeline(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): Promise<TeamTimeline> {
  const access = await teamStoreAccess(ctx, env);
  if (access.kind === 'none') throw new AdminError('unavailable', NO_TEAM_STORE);
  if (access.kind === 'reporter') throw new AdminError('unavailable', `${REPORTER_URL} (${access.display})`);
  let t = stores.get(access.store);
  if (!t) {
    const { PgAuditStore } = await import('../fleet/audit.js');
    const pool = guarded(access.store);
    t = { audit: new PgAuditStore(pool), pool };
    stores.set(access.store, t);
  }
  return { ...t, display: access.display };
}

/** The team timeline when an admin store is configured, null when none is (errors still throw). */
export async function configuredTeamTimeline(ctx: ServiceContext): Promise<TeamTimeline | null> {
  const access = await teamStoreAccess(ctx);
  if (access.kind === 'none') return null;
  return teamTimeline(ctx);
}

/** What `audit.scopes` answers: the team timeline is available only for an admin's reachable store. */
export async function auditScopes(ctx: ServiceContext): Promise<AuditScopes> {
  let display: string | null = null;
  try {
    const access = await teamStoreAccess(ctx);
    if (access.kind === 'none') return { team: { available: false, reason: NO_TEAM_STORE, display: null } };
    display = access.display;
    if (access.kind === 'reporter') return { team: { available: false, reason: REPORTER_URL, display } };
    return { team: { available: true, reason: null, display } };
  } catch (err) {
    return { team: { available: false, reason: (err as Error).message, display } };
  }
}

/**
 * The export anchor of a team-scope export: the team store's admin log (count and head hash of its
 * SHA-256 chain) at export time — the log of the store the events came from, not this workstation's.
 * That chain is unkeyed, so `keyedFrom` is past its end (count + 1), as for an unkeyed local log.
 */
export async function teamAdminLogAnchor(t: TeamTimeline, now: Date): Promise<AdminLogAnchor | null> {
  return t.pool.withClient(async (c) => {
    const r = await c.query<{ n: string; hash: string | null }>(
      'SELECT (SELECT count(*) FROM admin_log) AS n, (SELECT hash FROM admin_log ORDER BY id DESC LIMIT 1) AS hash',
    );
    const row = r.rows[0];
    if (!row?.hash) return null;
    const count = Number(row.n);
    return { count, headHash: row.hash, keyedFrom: count + 1, at: now.toISOString() };
  });
}
