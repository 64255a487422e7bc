import { readWithTeamSuppressions } from '../team-state/open.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { DiscoveryRunRepository } from '../store/discovery-runs.js';
import { accessMatrices, scopeFindings } from '../tenants/service.js';
import { openInSystemBrowser } from '../identity/browser.js';
import { mergeInventory } from './merge.js';
import { shareGateway } from './share.js';
import {
  addGateway,
  fetchGatewayAudit,
  listGateways,
  loginGateway,
  logoutGateway,
  loadSnapshot,
  loadSnapshots,
  refreshTeamGateways,
  removeGateway,
  syncGateways,
  testGateway,
  testGatewayDraft,
  updateGateway,
} from './service.js';

type GatewayMethods =
  | 'gateways.list'
  | 'gateways.add'
  | 'gateways.update'
  | 'gateways.remove'
  | 'gateways.share'
  | 'gateways.test'
  | 'gateways.testDraft'
  | 'gateways.sync'
  | 'gateways.snapshot'
  | 'gateways.inventory'
  | 'gateways.access'
  | 'gateways.findings'
  | 'gateways.audit'
  | 'gateways.login'
  | 'gateways.logout';

/** Gateway sign-ins waiting for their browser redirect, per context and gateway (a new one replaces it). */
const pendingLogins = new WeakMap<ServiceContext, Map<string, AbortController>>();

/**
 * Starts an SSO gateway sign-in from the UI: resolves with the identity provider's URL once the
 * gateway started its login and the loopback listener is up; the callback, the gateway's session
 * and the minted API token complete in the background and report through `gateways.login`.
 */
export function startGatewayLogin(
  ctx: ServiceContext,
  id: string,
): Promise<{ authorizationUrl: string; opened: boolean }> {
  let byId = pendingLogins.get(ctx);
  if (!byId) pendingLogins.set(ctx, (byId = new Map()));
  byId.get(id)?.abort();
  const abort = new AbortController();
  byId.set(id, abort);
  return new Promise((resolve, reject) => {
    let started = false;
    loginGateway(ctx, id, {
      signal: abort.signal,
      openUrl: async (url) => {
        started = true;
        ctx.events.emit('gateways.login', { gatewayId: id, stage: 'waiting' });
        resolve({ authorizationUrl: url, opened: await openInSystemBrowser(ctx, url) });
      },
    })
      .then(
        (conn) =>
          ctx.events.emit('gateways.login', {
            gatewayId: id,
            stage: 'signed-in',
            ...(conn.sso?.email ? { email: conn.sso.email } : {}),
          }),
        (err: Error) => {
          if (!abort.signal.aborted)
            ctx.events.emit('gateways.login', { gatewayId: id, stage: 'failed', error: err.message });
          if (!started) reject(err);
        },
      )
      .finally(() => {
        if (byId.get(id) === abort) byId.delete(id);
      });
  });
}

/** Builds the merged inventory from the latest discovery run and every stored gateway snapshot. */
export function gatewayInventory(ctx: ServiceContext) {
  const run = new DiscoveryRunRepository(ctx.db).latest();
  const snapshots = loadSnapshots(ctx);
  const merged = mergeInventory(run?.result.servers ?? [], snapshots);
  const synced = new Set(snapshots.map((s) => s.gatewayId));
  const notes = ctx.db.prepare('SELECT id, name, last_sync_error FROM gateway_connections ORDER BY name').all() as {
    id: string;
    name: string;
    last_sync_error: string | null;
  }[];
  for (const n of notes) {
    if (!synced.has(n.id)) merged.notes.push(`Gateway ${n.name} has not been synced yet.`);
    else if (n.last_sync_error)
      merged.notes.push(`Gateway ${n.name}: last sync failed (${n.last_sync_error}); showing the previous snapshot.`);
  }
  if (!run) merged.notes.push('No discovery run yet: only gateway servers are shown.');
  return merged;
}

export function gatewayHandlers(ctx: ServiceContext): HandlerGroup<GatewayMethods> {
  // With a team store, a gateway another admin added (or changed) is known here before it is used.
  const fresh = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    await refreshTeamGateways(ctx);
    return fn();
  };
  return {
    'gateways.list': async () => listGateways(ctx),
    'gateways.add': async (input) => addGateway(ctx, input),
    'gateways.update': async (input) => updateGateway(ctx, input),
    'gateways.remove': async ({ id, expectedVersion }) => ({ removed: await removeGateway(ctx, id, expectedVersion) }),
    'gateways.share': async ({ id, mode, expectedVersion }) => shareGateway(ctx, id, mode, expectedVersion),
    'gateways.test': ({ id }) => fresh(() => testGateway(ctx, id)),
    'gateways.testDraft': async (input) => testGatewayDraft(ctx, input),
    'gateways.sync': ({ id }) => fresh(() => syncGateways(ctx, id)),
    'gateways.snapshot': ({ id }) => fresh(() => loadSnapshot(ctx, id)),
    'gateways.inventory': () => fresh(() => gatewayInventory(ctx)),
    'gateways.access': ({ id }) => fresh(() => accessMatrices(ctx, id)),
    'gateways.findings': ({ id }) => fresh(() => readWithTeamSuppressions(ctx, () => scopeFindings(ctx, id))),
    'gateways.login': ({ id }) => fresh(() => startGatewayLogin(ctx, id)),
    'gateways.logout': async ({ id }) => {
      pendingLogins.get(ctx)?.get(id)?.abort();
      return logoutGateway(ctx, id);
    },
    'gateways.audit': ({ id, since, until, action, resourceType, limit }) =>
      fresh(() => fetchGatewayAudit(ctx, id, { since, until, action, resourceType, limit })),
  };
}
