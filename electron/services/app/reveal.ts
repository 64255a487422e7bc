import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import { DiscoveryRunRepository } from '../store/discovery-runs.js';

/**
 * `app.reveal`: shows a config file in the OS file manager. Only paths that are config sources
 * of the latest discovery run are accepted (compared exactly), never an arbitrary path from the
 * renderer; without a desktop shell (browser mode, CLI) it is `unavailable`.
 */
export function revealSource(ctx: ServiceContext, path: string): { revealed: true } {
  if (!ctx.shell) throw new AdminError('unavailable', 'Revealing files is only available in the desktop app.');
  const run = new DiscoveryRunRepository(ctx.db).latest();
  const known = run?.result.sources.some((s) => s.path === path) ?? false;
  if (!known) {
    throw new AdminError('forbidden', 'Only configuration files found by the latest discovery run can be revealed.');
  }
  ctx.shell.showItemInFolder(path);
  return { revealed: true };
}
