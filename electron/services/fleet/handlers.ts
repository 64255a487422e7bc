import type pg from 'pg';
import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import type { FleetStatus } from '../../../shared/model/fleet.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { HandlerGroup } from '../handlers.js';
import { actorOf } from '../identity/sessions.js';
import { closeTeamStates } from '../team-state/open.js';
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

async function teamStoreStatus(ctx: ServiceContext, env: NodeJS.ProcessEnv): Promise<FleetStatus> {
  const fromEnv = env[DATABASE_URL_ENV]?.trim();
  if (fromEnv) return { configured: true, display: maskDatabaseUrl(fromEnv), source: 'environment' };
  const url = await configuredTeamStoreUrl(ctx, env);
  return url ? { configured: true, display: maskDatabaseUrl(url), source: 'setting' } : { configured: false };
}

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
  | 'fleet.status'
  | 'fleet.setStore'
  | 'fleet.clearStore'
  | 'fleet.machines'
  | 'fleet.servers'
  | 'fleet.findings'
  | 'fleet.credentials'
  | 'fleet.trend'
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
    'fleet.status': () => teamStoreStatus(ctx, env),
    'fleet.setStore': async ({ url }) => {
      if (!isPostgresUrl(url))
        throw new AdminError(
          'bad-request',
          `The team store URL must start with postgres:// or postgresql:// (got ${maskDatabaseUrl(url)}).`,
        );
      const display = maskDatabaseUrl(url);
      // Tested before it is kept: a typo or a wrong password is said now, not on the next page load.
      const { openTeamStore } = await import('./store.js');
      const store = openTeamStore(url, { max: 1, application: 'gatehouse-settings', connectTimeoutMs: 5000 });
      try {
        await store.withClient((c) => c.query('SELECT 1'));
      } catch (err) {
        throw new AdminError(
          'bad-request',
          `Could not connect to the team store ${display}: ${(err as Error).message}`,
        );
      } finally {
        await store.close().catch(() => {});
      }
      await ctx.secrets.set(DATABASE_URL_SECRET, url);
      await closeTeamStates();
      appendAdminAction(ctx.db, ctx.clock, {
        action: 'fleet.store.set',
        target: display,
        actor: actorOf(ctx),
      });
      ctx.events.emit('store.changed', { topics: ['fleet', 'findings', 'gateways'] });
      return teamStoreStatus(ctx, env);
    },
    'fleet.clearStore': async () => {
      const stored = (await ctx.secrets.get(DATABASE_URL_SECRET).catch(() => null))?.trim();
      if (stored) {
        await ctx.secrets.delete(DATABASE_URL_SECRET);
        await closeTeamStates();
        appendAdminAction(ctx.db, ctx.clock, {
          action: 'fleet.store.clear',
          target: maskDatabaseUrl(stored),
          actor: actorOf(ctx),
        });
        ctx.events.emit('store.changed', { topics: ['fleet', 'findings', 'gateways'] });
      }
      return teamStoreStatus(ctx, env);
    },
    'fleet.machines': (filter) => withStore(async (c) => (await queries()).fleetMachines(c, filter)),
    'fleet.servers': (filter) => withStore(async (c) => (await queries()).fleetServers(c, filter)),
    'fleet.findings': (filter) => withStore(async (c) => (await queries()).fleetFindings(c, filter)),
    'fleet.credentials': (filter) => withStore(async (c) => (await queries()).fleetSharedFingerprints(c, filter)),
    'fleet.trend': (filter) => withStore(async (c) => (await queries()).fleetTrend(c, filter)),
  };
}
