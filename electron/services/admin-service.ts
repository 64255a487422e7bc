import { AdminError } from '../../shared/api/errors.js';
import { revealSource } from './app/reveal.js';
import { adminLogRefusal } from './audit/admin-log.js';
import { retryAdminLogKey } from './audit/admin-log-anchor.js';
import { auditHandlers } from './audit/handlers.js';
import type { ServiceContext } from './context.js';
import { discoveryHandlers } from './discovery/handlers.js';
import { findingsHandlers } from './findings/handlers.js';
import { gatewayHandlers } from './gateways/handlers.js';
import type { AdminHandlers } from './handlers.js';
import { adminMethods, METHOD_NAMES } from '../../shared/api/contract.js';
import { servingTurn } from './store/write-turns.js';
import { liveHandlers } from './live/handlers.js';
import { policyHandlers } from './policy/handlers.js';
import { identityHandlers } from './identity/handlers.js';
import { configWriteHandlers } from './config-write/handlers.js';
import { fleetHandlers } from './fleet/handlers.js';

/** The composition of every capability's handlers: what both adapters and the CLI sit on. */
export function createAdminHandlers(ctx: ServiceContext): AdminHandlers {
  const handlers: AdminHandlers = {
    'app.info': async () => ({
      name: 'gatehouse' as const,
      version: ctx.version,
      mode: ctx.mode === 'desktop' ? ('desktop' as const) : ('browser' as const),
      platform: ctx.workstation.platform,
      nodeVersion: process.versions.node,
      stateDir: ctx.stateDir,
      canReveal: !!ctx.shell,
    }),
    'app.reveal': async ({ path }) => revealSource(ctx, path),
    ...discoveryHandlers(ctx),
    ...liveHandlers(ctx),
    ...findingsHandlers(ctx),
    ...gatewayHandlers(ctx),
    ...auditHandlers(ctx),
    ...policyHandlers(ctx),
    ...identityHandlers(ctx),
    ...configWriteHandlers(ctx),
    ...fleetHandlers(ctx),
  };
  return guardingStoreWrites(ctx, handlers);
}

/**
 * What every method that writes the local store (the contract's `writesStore`, default `mutates`)
 * goes through first:
 * - an admin action (`recordsAction`, default `writesStore`) while the admin log cannot record
 *   (keyed, its key not loaded: the desktop's secret store failed at start-up) first tries to load
 *   the key again, and is refused before it runs if that fails; otherwise it would take effect and
 *   then fail to be logged, an unattributed change. Reads and rescans go on;
 * - in a serving process, it waits, without holding the event loop, while an ingest worker is in a
 *   long write transaction (write-turns.ts): its first write would otherwise wait inside SQLite,
 *   and every other request with it.
 */
function guardingStoreWrites(ctx: ServiceContext, handlers: AdminHandlers): AdminHandlers {
  const out: Record<string, unknown> = { ...handlers };
  const turns = ctx.writeTurns;
  for (const name of METHOD_NAMES) {
    const spec = adminMethods[name];
    const writes = spec.writesStore ?? spec.mutates;
    if (!writes) continue;
    const h = handlers[name] as (input: unknown) => Promise<unknown>;
    const run = turns ? (input: unknown) => servingTurn(turns, () => h(input)) : h;
    out[name] = !(spec.recordsAction ?? writes)
      ? run
      : async (input: unknown) => {
          if (adminLogRefusal(ctx.db)) await retryAdminLogKey(ctx.db, ctx.secrets, ctx.clock);
          const why = adminLogRefusal(ctx.db);
          if (why)
            throw new AdminError(
              'unavailable',
              `${why} Gatehouse refuses changes until it can record them: make the OS secret store available (unlock the keyring) and try again.`,
            );
          return run(input);
        };
  }
  return out as AdminHandlers;
}
