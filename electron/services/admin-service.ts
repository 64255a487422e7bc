import { AdminError } from '../../shared/api/errors.js';
import { revealSource } from './app/reveal.js';
import { adminLogRefusal } from './audit/admin-log.js';
import { auditHandlers } from './audit/handlers.js';
import type { ServiceContext } from './context.js';
import { discoveryHandlers } from './discovery/handlers.js';
import { findingsHandlers } from './findings/handlers.js';
import { gatewayHandlers } from './gateways/handlers.js';
import type { AdminHandlers } from './handlers.js';
import { adminMethods, METHOD_NAMES } from '../../shared/api/contract.js';
import { servingTurn, type WriteTurnsBuffer } from './store/write-turns.js';
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
  const checked = refusingUnrecordable(ctx, handlers);
  return ctx.writeTurns ? takingWriteTurns(checked, ctx.writeTurns) : checked;
}

/**
 * While the admin log cannot record (keyed, its key not loaded: the desktop's secret store failed
 * at start-up), every action that changes state is refused before it runs. Otherwise it would take
 * effect and then fail to be logged, an unattributed change. Reads go on; so do the calls that
 * write nothing here (`writesStore: false`).
 */
function refusingUnrecordable(ctx: ServiceContext, handlers: AdminHandlers): AdminHandlers {
  const out: Record<string, unknown> = { ...handlers };
  for (const name of METHOD_NAMES) {
    const spec = adminMethods[name];
    if (!spec.mutates || !(spec.writesStore ?? true)) continue;
    const h = handlers[name] as (input: unknown) => Promise<unknown>;
    out[name] = async (input: unknown) => {
      const why = adminLogRefusal(ctx.db);
      if (why)
        throw new AdminError(
          'unavailable',
          `${why} Gatehouse refuses changes until it can record them: make the OS secret store available (unlock the keyring) and restart Gatehouse.`,
        );
      return h(input);
    };
  }
  return out as AdminHandlers;
}

/**
 * Each admin action that writes waits, without holding the event loop, while an ingest worker is in
 * a long write transaction (write-turns.ts): its first write would otherwise wait inside SQLite, and
 * every other request with it.
 */
function takingWriteTurns(handlers: AdminHandlers, turns: WriteTurnsBuffer): AdminHandlers {
  const out: Record<string, unknown> = { ...handlers };
  for (const name of METHOD_NAMES) {
    const spec = adminMethods[name];
    if (!(spec.writesStore ?? spec.mutates)) continue;
    const h = handlers[name] as (input: unknown) => Promise<unknown>;
    out[name] = (input: unknown) => servingTurn(turns, () => h(input));
  }
  return out as AdminHandlers;
}
