import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { ingestFileSource, type FileSourceJob, type FileSourceResult } from './file-source.js';
import type { FilePosition, IngestCounts } from './ingest.js';
import { AUDIT_INGEST_BATCH, AuditStore } from './store.js';
import { lowerThreadPriority } from './worker-thread.js';
import { workerTurn, type WriteTurnsBuffer } from '../store/write-turns.js';

/**
 * One file source's sync on a worker thread with its own write connection (issue #13 item 2): a
 * large import reads, parses, masks and stores for seconds and then builds the indexes it dropped;
 * on the serving thread every batch held the event loop ~0.25 s and each index build ~1–2 s. Here
 * the serving thread only waits for messages. Started by ingest-port.ts; this module starts the job
 * itself when loaded as such a worker (the same file as the query workers in the bundles).
 */

export const INGEST_WORKER_ROLE = 'gatehouse-audit-ingest';
/**
 * Lines per transaction on the worker: as on the serving thread (an admin action waits, without
 * holding the event loop, for the batch in progress: ~0.25 s at most). 2,500 made that ~60 ms but
 * the import ~30% slower (400k events: 10.5 vs 7.5 s stored).
 */
export const WORKER_BATCH = AUDIT_INGEST_BATCH;

export interface IngestWorkerData {
  role: typeof INGEST_WORKER_ROLE;
  /** The store's database file. */
  file: string;
  job: FileSourceJob;
  /** Rejections sent back (the rest are counted only). */
  maxRejections: number;
  /** Nice value of the thread on Linux. */
  nice?: number;
  /** Turns at the write lock with the serving thread (write-turns.ts). */
  turns?: WriteTurnsBuffer;
}

export type IngestWorkerMessage =
  /** The worker runs (its store open): a stop from here on is a failed import, not one never started. */
  | { type: 'started' }
  | { type: 'reject'; record: RejectedRecord }
  | { type: 'progress'; pos: FilePosition; total: IngestCounts }
  | { type: 'stored'; indexing: boolean }
  | { type: 'done'; result: FileSourceResult }
  | { type: 'failed'; error: { message: string; name: string; code?: string } };

function isIngestWorkerData(v: unknown): v is IngestWorkerData {
  return !!v && typeof v === 'object' && (v as { role?: unknown }).role === INGEST_WORKER_ROLE;
}

async function runIngestWorker(data: IngestWorkerData): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const send = (m: IngestWorkerMessage) => port.postMessage(m);
  lowerThreadPriority(data.nice);
  const sqlite = createRequire(import.meta.url)('node:sqlite') as typeof NodeSqlite;
  let db: NodeSqlite.DatabaseSync | undefined;
  try {
    // The serving process opened (and migrated) the store; this connection only adds to it.
    db = new sqlite.DatabaseSync(data.file);
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    // Each write transaction (a batch, an index build, a full-text chunk) takes a turn with the
    // serving thread's admin actions, which wait for it without holding their event loop.
    const turns = data.turns;
    const turn = turns ? () => workerTurn(turns, threadId) : undefined;
    const store = new AuditStore(db, turn ? { longWrite: turn } : {});
    send({ type: 'started' });
    // (With turns, the indexes an earlier worker left unbuilt are built here, a turn each.)
    if (turn) await store.repair();
    let sent = 0;
    const job = { ...data.job, batchSize: data.job.batchSize ?? WORKER_BATCH };
    const result = await ingestFileSource(db, store, job, {
      onReject: (record) => {
        if (sent++ < data.maxRejections) send({ type: 'reject', record });
      },
      onProgress: (pos, total) => send({ type: 'progress', pos, total: { ...total } }),
      onStored: (indexing) => send({ type: 'stored', indexing }),
      batchTurn: turn,
    });
    send({ type: 'done', result });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as NodeJS.ErrnoException).code;
    send({
      type: 'failed',
      error: { message: e.message, name: e.name, ...(typeof code === 'string' ? { code } : {}) },
    });
  } finally {
    db?.close();
  }
}

if (!isMainThread && isIngestWorkerData(workerData)) void runIngestWorker(workerData);
