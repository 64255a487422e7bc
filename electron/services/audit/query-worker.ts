import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AdminError } from '../../../shared/api/errors.js';
import { callAuditQuery, isAuditQueryName } from './query-port.js';
import { AuditStore } from './store.js';
import { lowerThreadPriority } from './worker-thread.js';

/**
 * One audit query worker thread: its own read-only connection to the store's WAL database, running
 * the store's query functions by name. Writes never happen here (they stay on the main connection).
 * Started by query-pool.ts; this module starts the loop itself when loaded as such a worker, so the
 * worker can be spawned from the pool's own module file (sources and bundled CLI alike).
 */

export const QUERY_WORKER_ROLE = 'gatehouse-audit-query';

export interface QueryWorkerData {
  role: typeof QUERY_WORKER_ROLE;
  file: string;
  /** Nice value of the worker thread on Linux (0: as the serving thread). */
  nice?: number;
  /** Tests only: each query waits while gate[0] is 0 (an Int32Array over a SharedArrayBuffer). */
  gate?: Int32Array;
}

export interface QueryRequest {
  id: number;
  name: string;
  args: unknown[];
  /**
   * Facets or a histogram the pool has no cost for, sent to its quick lane: run only when they read
   * at most this many events (AuditStore.fitsBudget), else answer `deferred`.
   */
  budget?: number;
}

export type QueryReply =
  | { ready: true }
  | { id: number; ok: true; result: unknown; cpuMs?: number }
  | { id: number; deferred: true; cpuMs?: number }
  | {
      id: number;
      ok: false;
      error: { admin: boolean; code: string; message: string; name: string };
      cpuMs?: number;
    };

/** CPU time of this thread (the pool schedules by what a query cost, not how long it waited for a core). */
function threadCpuMs(): number | undefined {
  const usage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : undefined;
}

function isWorkerData(v: unknown): v is QueryWorkerData {
  return !!v && typeof v === 'object' && (v as { role?: unknown }).role === QUERY_WORKER_ROLE;
}

function runQueryWorker(data: QueryWorkerData): void {
  const port = parentPort;
  if (!port) return;
  lowerThreadPriority(data.nice);
  const sqlite = createRequire(import.meta.url)('node:sqlite') as typeof NodeSqlite;
  const db = new sqlite.DatabaseSync(data.file, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  const store = new AuditStore(db, { readOnly: true });
  // Queries are sent only once the worker can answer, so a query's time limit never counts start-up.
  port.postMessage({ ready: true } satisfies QueryReply);
  port.on('message', (req: QueryRequest) => {
    if (data.gate) {
      // Short waits, so that terminate() (timeout) still takes effect while the gate is closed.
      while (Atomics.load(data.gate, 0) === 0) Atomics.wait(data.gate, 0, 0, 20);
    }
    let reply: QueryReply;
    const cpu0 = threadCpuMs();
    const cpuMs = () => {
      const cpu1 = threadCpuMs();
      return cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0;
    };
    try {
      if (!isAuditQueryName(req.name)) throw new AdminError('bad-request', `unknown audit query ${req.name}`);
      if (req.budget !== undefined && (req.name === 'facets' || req.name === 'histogram')) {
        const [filter, names] = req.args as Parameters<AuditStore['facets']>;
        if (!store.fitsBudget(req.name, filter, req.budget, req.name === 'facets' ? names : undefined)) {
          port.postMessage({ id: req.id, deferred: true, cpuMs: cpuMs() } satisfies QueryReply);
          return;
        }
      }
      const result = callAuditQuery(store, req.name, req.args as never);
      reply = { id: req.id, ok: true, result, cpuMs: cpuMs() };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = {
        id: req.id,
        ok: false,
        error: {
          admin: err instanceof AdminError,
          code: err instanceof AdminError ? err.code : 'internal',
          message: e.message,
          name: e.name,
        },
        cpuMs: cpuMs(),
      };
    }
    port.postMessage(reply);
  });
}

if (!isMainThread && isWorkerData(workerData)) runQueryWorker(workerData);
