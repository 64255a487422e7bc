import type { DiscoveryOptions } from '../../../shared/model/discovery.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { DiscoveryRunRepository } from '../store/discovery-runs.js';
import { discover, toDiscoveryResult } from './discover.js';

/** Runs discovery over the context's workstation and records the run. */
export async function runDiscovery(ctx: ServiceContext) {
  const started = ctx.clock.now();
  const t0 = performance.now();
  const scan = await discover(ctx.workstation, ctx.fs, (p) => ctx.events.emit('discovery.progress', p));
  const result = toDiscoveryResult(scan);
  const options: DiscoveryOptions = {
    home: ctx.workstation.home,
    platform: ctx.workstation.platform,
    projects: ctx.workstation.projects,
    systemRoot: ctx.workstation.systemRoot,
  };
  const run = new DiscoveryRunRepository(ctx.db).insert({
    startedAt: started.toISOString(),
    durationMs: performance.now() - t0,
    options,
    result,
  });
  ctx.events.emit('discovery.progress', { phase: 'done', done: result.sources.length, total: result.sources.length });
  ctx.events.emit('store.changed', { topics: ['discovery'] });
  return { run, scan };
}

export function discoveryHandlers(ctx: ServiceContext): HandlerGroup<'discovery.run' | 'discovery.latest'> {
  return {
    'discovery.run': async () => (await runDiscovery(ctx)).run,
    'discovery.latest': async () => new DiscoveryRunRepository(ctx.db).latest(),
  };
}
