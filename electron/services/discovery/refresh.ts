import type { ServiceContext } from '../context.js';
import { runFindingsScan } from '../findings/service.js';
import { runDiscovery } from './handlers.js';

/**
 * What a config change triggers (the config watch's `onChange`): discovery first — recorded and
 * announced (`store.changed` discovery), so the Inventory refreshes as soon as it is read — then
 * the static findings over the same scan, so the Risk column follows.
 */
export async function refreshInventory(ctx: ServiceContext): Promise<void> {
  const { scan } = await runDiscovery(ctx);
  await runFindingsScan(ctx, { scan });
}
