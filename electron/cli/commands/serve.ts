import { parseArgs } from 'node:util';
import { createAdminHandlers } from '../../services/admin-service.js';
import { refreshInventory } from '../../services/discovery/refresh.js';
import { watchConfigFiles } from '../../services/discovery/watch.js';
import { openFileIngest } from '../../services/audit/ingest-port.js';
import { writeTurnsBuffer } from '../../services/store/write-turns.js';
import { openAuditQueries } from '../../services/audit/query-pool.js';
import { inlineAuditQueries } from '../../services/audit/query-port.js';
import { AuditStore } from '../../services/audit/store.js';
import { runFindingsScan } from '../../services/findings/service.js';
import { nodeDirWatcher } from '../../services/node-ports.js';
import { startHttpServer } from '../../http/server.js';
import { ensureRendererBuilt } from '../../node/renderer-assets.js';
import type { Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags } from '../common-options.js';
import { contextFrom } from '../context.js';
import { UsageError } from '../usage-error.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the admin console to a browser on 127.0.0.1 (browser mode)',
  usage: `gatehouse serve [options]

Binds 127.0.0.1 only and prints one line: the URL to open, with a per-launch token.
  --port N             port to listen on (default 0: a free port)
${DISCOVERY_FLAGS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { ...discoveryFlags, port: { type: 'string' } },
      strict: true,
    });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0–65535 (got "${values.port}")`);
    const staticDir = await ensureRendererBuilt((line) => io.stderr(line + '\n'));
    const ctx = contextFrom(values, 'browser');
    // Audit queries run on worker threads with their own read connections: one slow facets or
    // search query never holds up another request (issue #13 item 2).
    // GATEHOUSE_AUDIT_QUERY_WORKERS: their number; 0 runs them inline (the load bench's "before").
    const workers = process.env.GATEHOUSE_AUDIT_QUERY_WORKERS;
    const auditStore = new AuditStore(ctx.db);
    const auditQueries =
      workers === '0'
        ? inlineAuditQueries(auditStore)
        : openAuditQueries(ctx.db, auditStore, {
            log: (line) => io.stderr(line + '\n'),
            ...(workers && Number(workers) > 0 ? { size: Number(workers) } : {}),
          });
    ctx.auditQueries = auditQueries;
    // Large file imports on a worker thread with its own write connection (GATEHOUSE_AUDIT_QUERY_WORKERS=0:
    // inline too, the load bench's "before").
    const turns = writeTurnsBuffer();
    const auditIngest =
      workers === '0' ? null : openFileIngest(ctx.db, auditStore, { turns, log: (line) => io.stderr(line + '\n') });
    if (auditIngest) Object.assign(ctx, { auditIngest, writeTurns: turns });
    // After a discovery run its parse results are garbage in the old generation, which V8 lets grow
    // far past the ~30 MB live heap before collecting (issue #13 item 3): collect once when a run is
    // done, when bin/gatehouse.mjs started serve with --expose-gc (a full GC here takes ~10–30 ms).
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      let pending = false;
      ctx.events.subscribe((event, payload) => {
        if (event !== 'discovery.progress' || (payload as { phase?: string }).phase !== 'done' || pending) return;
        pending = true;
        setTimeout(() => {
          pending = false;
          gc();
        }, 50).unref();
      });
    }
    // First look (discovery + static findings) at start-up, so the pages open with data.
    await runFindingsScan(ctx);
    const server = await startHttpServer({ handlers: createAdminHandlers(ctx), events: ctx.events, port, staticDir });
    // Config edits reach the inventory (SSE store.changed) without a rescan: folder watches, no polling.
    const watcher = await watchConfigFiles({
      workstation: ctx.workstation,
      fs: ctx.fs,
      watcher: nodeDirWatcher,
      onChange: () => refreshInventory(ctx),
      onError: (err) => io.stderr(`gatehouse: config watch: ${err.message}\n`),
    });
    io.stdout(`${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        watcher.stop();
        void Promise.all([server.close(), watcher.idle()])
          // A running import stops at its open batch (rolled back; the next sync resumes after the
          // last committed one) instead of holding the exit until it is done.
          .then(() => Promise.all([auditQueries.close(), auditIngest?.close()]))
          .then(() => {
            ctx.db.close();
            resolve();
          });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
