import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { DiscoveryRunRepository } from '../store/discovery-runs.js';
import { accessMatrices, scopeFindings } from '../tenants/service.js';
import { mergeInventory } from './merge.js';
import {
  addGateway,
  fetchGatewayAudit,
  listGateways,
  loadSnapshot,
  loadSnapshots,
  removeGateway,
  syncGateways,
  testGateway,
  updateGateway,
} from './service.js';

type GatewayMethods =
  | 'gateways.list'
  | 'gateways.add'
  | 'gateways.update'
  | 'gateways.remove'
  | 'gateways.test'
  | 'gateways.sync'
  | 'gateways.snapshot'
  | 'gateways.inventory'
  | 'gateways.access'
  | 'gateways.findings'
  | 'gateways.audit';

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
  return {
    'gateways.list': async () => listGateways(ctx),
    'gateways.add': async (input) => addGateway(ctx, input),
    'gateways.update': async (input) => updateGateway(ctx, input),
    'gateways.remove': async ({ id }) => ({ removed: await removeGateway(ctx, id) }),
    'gateways.test': async ({ id }) => testGateway(ctx, id),
    'gateways.sync': async ({ id }) => syncGateways(ctx, id),
    'gateways.snapshot': async ({ id }) => loadSnapshot(ctx, id),
    'gateways.inventory': async () => gatewayInventory(ctx),
    'gateways.access': async ({ id }) => accessMatrices(ctx, id),
    'gateways.findings': async ({ id }) => scopeFindings(ctx, id),
    'gateways.audit': async ({ id, since, until, action, resourceType, limit }) =>
      fetchGatewayAudit(ctx, id, { since, until, action, resourceType, limit }),
  };
}
