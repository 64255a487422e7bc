import type pg from 'pg';
import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { DATABASE_URL_ENV, isPostgresUrl, maskDatabaseUrl } from './url.js';

/** Secret-store key of the team store URL set from the UI or CLI (it holds a password). */
export const DATABASE_URL_SECRET = 'fleet.database-url';

/** $GATEHOUSE_DATABASE_URL, else the stored setting, else none. */
export async function configuredTeamStoreUrl(
  ctx: ServiceContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const fromEnv = env[DATABASE_URL_ENV]?.trim();
  if (fromEnv) return fromEnv;
  const stored = (await ctx.secrets.get(DATABASE_URL_SECRET).catch(() => null))?.trim();
  return stored || undefined;
}

const queries = () => import('./queries.js');

export const NOT_CONFIGURED_MESSAGE = `No team store is configured: set ${DATABASE_URL_ENV}=postgres://… for Gatehouse, and have workstations report with \`gatehouse scan --report-to postgres://…\`.`;

/**
 * Fleet view over the team store. Each call opens a one-connection pool and closes it (the view is
 * read on demand; nothing stays connected in the background). Errors come back as `unavailable`
 * with the URL's password masked; the URL itself is only ever shown masked.
 */
export function fleetHandlers(
  ctx: ServiceContext,
  env: NodeJS.ProcessEnv = process.env,
): HandlerGroup<
  'fleet.status' | 'fleet.machines' | 'fleet.servers' | 'fleet.findings' | 'fleet.credentials' | 'fleet.trend'
> {
  const withStore = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const url = await configuredTeamStoreUrl(ctx, env);
    if (!url) throw new AdminError('unavailable', NOT_CONFIGURED_MESSAGE);
    if (!isPostgresUrl(url))
      throw new AdminError(
        'unavailable',
        `The team store URL must start with postgres:// or postgresql:// (got ${maskDatabaseUrl(url)}).`,
      );
    // Loaded on first use: the driver stays out of start-up for those who never open the view.
    const { openTeamStore } = await import('./store.js');
    const store = openTeamStore(url, { max: 1, application: 'gatehouse-fleet-view', connectTimeoutMs: 5000 });
    try {
      return await store.withClient(fn);
    } catch (err) {
      // withClient already scrubbed the password from the driver's message.
      throw new AdminError('unavailable', `Team store ${store.display}: ${(err as Error).message}`);
    } finally {
      await store.close().catch(() => {});
    }
  };
  return {
    'fleet.status': async () => {
      const url = await configuredTeamStoreUrl(ctx, env);
      return url ? { configured: true, display: maskDatabaseUrl(url) } : { configured: false };
    },
    'fleet.machines': (filter) => withStore(async (c) => (await queries()).fleetMachines(c, filter)),
    'fleet.servers': (filter) => withStore(async (c) => (await queries()).fleetServers(c, filter)),
    'fleet.findings': (filter) => withStore(async (c) => (await queries()).fleetFindings(c, filter)),
    'fleet.credentials': (filter) => withStore(async (c) => (await queries()).fleetSharedFingerprints(c, filter)),
    'fleet.trend': (filter) => withStore(async (c) => (await queries()).fleetTrend(c, filter)),
  };
}
