import type { ServiceContext } from '../context.js';
import { configuredTeamStoreUrl } from '../fleet/handlers.js';
import { isPostgresUrl, maskDatabaseUrl } from '../fleet/url.js';
import { AdminError } from '../../../shared/api/errors.js';
import { localTeamState } from './sqlite.js';
import { withSharedSuppressions } from './scope.js';
import type { TeamState } from './types.js';
import type { TeamStore } from '../fleet/store.js';

/**
 * The team state for this context: the PostgreSQL team store when one is configured
 * ($GATEHOUSE_DATABASE_URL or the stored setting), else the local SQLite store. One pool per URL
 * per process (admins act in bursts; a pool of 2 is plenty), closed with `closeTeamStates`.
 */
type Opened = { admin: true; store: TeamStore } | { admin: false };
const pools = new Map<string, Promise<Opened>>();

/**
 * The configured team store as this context may use it: none, a reporter's URL (no admin state),
 * or an admin's pool (shared per URL; callers never close it). Throws `unavailable` (URL masked)
 * when the URL is not PostgreSQL or the store cannot be reached.
 */
export type TeamStoreAccess =
  { kind: 'none' } | { kind: 'reporter'; display: string } | { kind: 'admin'; display: string; store: TeamStore };

export async function teamStoreAccess(
  ctx: ServiceContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TeamStoreAccess> {
  const url = await configuredTeamStoreUrl(ctx, env);
  if (!url) return { kind: 'none' };
  if (!isPostgresUrl(url))
    throw new AdminError(
      'unavailable',
      `The team store URL must start with postgres:// or postgresql:// (got ${maskDatabaseUrl(url)}).`,
    );
  let p = pools.get(url);
  if (!p) {
    p = (async () => {
      // Loaded on first use: the driver stays out of start-up for single-workstation installs.
      const { openTeamStore } = await import('../fleet/store.js');
      const store = openTeamStore(url, { max: 2, application: 'gatehouse-team-state', connectTimeoutMs: 5000 });
      // A reporter's URL (a workstation that only sends its scans) shares no admin state: the
      // team state is the team store only for members of gatehouse_admin.
      const admin = await store
        .withClient((c) =>
          c.query<{ a: boolean }>(
            `SELECT pg_has_role(current_user, 'gatehouse_admin', 'MEMBER') AND to_regclass('team_suppressions') IS NOT NULL AS a`,
          ),
        )
        .then((r) => r.rows[0]?.a === true)
        .catch(async (err: unknown) => {
          await store.close().catch(() => {});
          throw new AdminError('unavailable', `Team store ${maskDatabaseUrl(url)}: ${(err as Error).message}`);
        });
      if (!admin) {
        await store.close().catch(() => {});
        return { admin: false } as const;
      }
      return { admin: true, store } as const;
    })();
    pools.set(url, p);
    // A failed connection is not remembered: the next request tries again.
    p.catch(() => pools.delete(url));
  }
  const opened = await p;
  const display = maskDatabaseUrl(url);
  return opened.admin ? { kind: 'admin', display, store: opened.store } : { kind: 'reporter', display };
}

export async function teamState(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): Promise<TeamState> {
  const access = await teamStoreAccess(ctx, env);
  if (access.kind !== 'admin') return localTeamState(ctx.db, ctx.clock);
  const { postgresTeamState } = await import('./postgres.js');
  // The pool is shared; the wrapper's close() must not end it for everyone.
  return { ...postgresTeamState(access.store, ctx.clock), close: async () => {} };
}

export async function closeTeamStates(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(
    all.map(async (p) => {
      const o = await p.catch(() => null);
      if (o?.admin) await o.store.close().catch(() => {});
    }),
  );
}

/** Runs a synchronous read with the team's suppressions when a team store is configured. */
export async function readWithTeamSuppressions<T>(ctx: ServiceContext, fn: () => T): Promise<T> {
  const state = await teamState(ctx);
  if (state.kind === 'local') return fn();
  return withSharedSuppressions(await state.suppressions.list(), fn);
}
