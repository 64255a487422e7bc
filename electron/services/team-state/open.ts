import type { ServiceContext } from '../context.js';
import { configuredTeamStoreUrl } from '../fleet/handlers.js';
import { isPostgresUrl, maskDatabaseUrl } from '../fleet/url.js';
import { AdminError } from '../../../shared/api/errors.js';
import { localTeamState } from './sqlite.js';
import { withSharedSuppressions } from './scope.js';
import type { TeamState } from './types.js';

/**
 * The team state for this context: the PostgreSQL team store when one is configured
 * ($GATEHOUSE_DATABASE_URL or the stored setting), else the local SQLite store. One pool per URL
 * per process (admins act in bursts; a pool of 2 is plenty), closed with `closeTeamStates`.
 */
const pools = new Map<string, Promise<TeamState>>();

export async function teamState(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): Promise<TeamState> {
  const url = await configuredTeamStoreUrl(ctx, env);
  if (!url) return localTeamState(ctx.db, ctx.clock);
  if (!isPostgresUrl(url))
    throw new AdminError(
      'unavailable',
      `The team store URL must start with postgres:// or postgresql:// (got ${maskDatabaseUrl(url)}).`,
    );
  let p = pools.get(url);
  if (!p) {
    p = (async () => {
      // Loaded on first use: the driver stays out of start-up for single-workstation installs.
      const [{ openTeamStore }, { postgresTeamState }] = await Promise.all([
        import('../fleet/store.js'),
        import('./postgres.js'),
      ]);
      return postgresTeamState(
        openTeamStore(url, { max: 2, application: 'gatehouse-team-state', connectTimeoutMs: 5000 }),
        ctx.clock,
      );
    })();
    pools.set(url, p);
  }
  return p;
}

export async function closeTeamStates(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map(async (p) => (await p).close().catch(() => {})));
}

/** Runs a synchronous read with the team's suppressions when a team store is configured. */
export async function readWithTeamSuppressions<T>(ctx: ServiceContext, fn: () => T): Promise<T> {
  const state = await teamState(ctx);
  if (state.kind === 'local') return fn();
  return withSharedSuppressions(await state.suppressions.list(), fn);
}
