import type { DiscoveryOptions } from '../../../shared/model/discovery.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { insertDiscoveryRun } from '../store/discovery-run-writer.js';
import { servingWrite } from '../store/write-turns.js';
import { discover, toDiscoveryResult } from './discover.js';

type DiscoveryOutcome = Awaited<ReturnType<typeof discoverAndRecord>>;

interface Flight {
  running?: Promise<DiscoveryOutcome>;
  /** The run that starts when the current one ends: every request made meanwhile shares it. */
  queued?: Promise<DiscoveryOutcome>;
}
const flights = new WeakMap<ServiceContext, Flight>();

/**
 * Runs discovery over the context's workstation and records the run. Concurrent requests are
 * coalesced: at most one run at a time plus one queued behind it, which every request that arrives
 * during the current run shares. Each caller still gets a run that started after its request (a
 * config edited just before it is seen), and forty clicks or file events cost two runs, not forty
 * (the server's memory under load was mostly concurrent discoveries).
 */
export function runDiscovery(ctx: ServiceContext): Promise<DiscoveryOutcome> {
  let f = flights.get(ctx);
  if (!f) flights.set(ctx, (f = {}));
  const flight = f;
  if (!flight.running) {
    flight.running = discoverAndRecord(ctx).finally(() => {
      flight.running = undefined;
    });
    return flight.running;
  }
  flight.queued ??= flight.running
    .catch(() => undefined)
    .then(() => {
      flight.queued = undefined;
      return runDiscovery(ctx);
    });
  return flight.queued;
}

async function discoverAndRecord(ctx: ServiceContext) {
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
  // During an audit import on its worker thread, the write waits for its turn (write-turns.ts)
  // instead of inside SQLite with the event loop: a config change's refresh runs beside requests.
  const durationMs = performance.now() - t0;
  const run = await servingWrite(ctx.writeTurns, () =>
    insertDiscoveryRun(ctx.db, { startedAt: started.toISOString(), durationMs, options, result }),
  );
  ctx.events.emit('discovery.progress', { phase: 'done', done: result.sources.length, total: result.sources.length });
  ctx.events.emit('store.changed', { topics: ['discovery'] });
  return { run, scan };
}

export function discoveryHandlers(ctx: ServiceContext): HandlerGroup<'discovery.run' | 'discovery.latest'> {
  return {
    'discovery.run': async () => (await runDiscovery(ctx)).run,
    // Reading validates the stored run with zod: loaded here, not on the scan path.
    'discovery.latest': async () => {
      const { DiscoveryRunRepository } = await import('../store/discovery-runs.js');
      return new DiscoveryRunRepository(ctx.db).latest();
    },
  };
}
