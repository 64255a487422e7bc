import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { ingestFileSource, type FileSourceJob, type FileSourceResult } from './file-source.js';
import type { FilePosition, IngestCounts } from './ingest.js';
import { AuditStore } from './store.js';
import { lowerThreadPriority } from './worker-thread.js';
import { longWriteTurn, type WriteTurnsBuffer } from './write-turns.js';

/**
 * One file source's sync on a worker thread with its own write connection (issue #13 item 2): a
 * large import reads, parses, masks and stores for seconds and then builds the indexes it dropped;
 * on the serving thread every batch held the event loop ~0.25 s and each index build ~1–2 s. Here
 * the serving thread only waits for messages. Started by ingest-port.ts; this module starts the job
 * itself when loaded as such a worker (the same file as the query workers in the bundles).
 */

export const INGEST_WORKER_ROLE = 'gatehouse-audit-ingest';
/**
 * Lines per transaction on the worker: with each batch sealed first, the serving thread's writes
 * waited at most ~40 ms during a 200k-event import (10k lines: ~85 ms; sealed inside the
 * transaction, as on the serving thread: ~1 s).
 */
const WORKER_BATCH = 2500;

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
    const turns = data.turns;
    const store = new AuditStore(db, turns ? { longWrite: () => longWriteTurn(turns) } : {});
    let sent = 0;
    // The serving thread's connection writes too (admin actions, settings, cursors of other
    // sources): this one holds the write lock only for the inserts of small batches, and reads,
    // masks and hashes each batch before taking it.
    const job = { ...data.job, batchSize: data.job.batchSize ?? WORKER_BATCH, sealFirst: true };
    const result = await ingestFileSource(db, store, job, {
      onReject: (record) => {
        if (sent++ < data.maxRejections) send({ type: 'reject', record });
      },
      onProgress: (pos, total) => send({ type: 'progress', pos, total: { ...total } }),
      onStored: (indexing) => send({ type: 'stored', indexing }),
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
