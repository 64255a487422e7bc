import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { AdminError } from '../../../shared/api/errors.js';
import type { Database } from '../store/database.js';
import { ingestFileSource, type FileSourceHooks, type FileSourceJob, type FileSourceResult } from './file-source.js';
// (Also what starts the job when this module's file is loaded as the worker: the default workerUrl.)
import { INGEST_WORKER_ROLE, type IngestWorkerData, type IngestWorkerMessage } from './ingest-worker.js';
import type { AuditStore } from './store.js';
import { workerExecArgv } from './worker-thread.js';
import { endWorkerTurns, type WriteTurnsBuffer } from '../store/write-turns.js';

/**
 * Where a file source's sync runs. Inline (CLI, tests): on the calling thread's connection. In a
 * serving process (`gatehouse serve`, the desktop app): an unread remainder of at least `minBytes`
 * is imported on a worker thread with its own write connection, so the event loop keeps answering
 * (issue #13 item 2); a follower's small increments stay inline, where a worker's start-up would
 * cost more than the import.
 */
export interface FileIngestPort {
  run(job: FileSourceJob, hooks?: FileSourceHooks): Promise<FileSourceResult>;
}

export function inlineFileIngest(db: Database, store: AuditStore): FileIngestPort {
  return { run: (job, hooks) => ingestFileSource(db, store, job, hooks) };
}

export interface OffThreadIngestOptions {
  /** The worker's script (default: this module's file; the desktop passes its worker bundle). */
  workerUrl?: URL;
  /** Unread bytes from which a sync goes to a worker (default 1 MiB: ~2,500 ToolHive lines). */
  minBytes?: number;
  /**
   * Linux: the worker's nice value (default 0). An import is what the admin asked for and waits on;
   * lowered, it would yield to every other busy process on the machine. The serving thread answers
   * beside it at either value (app.info p99 ~15–30 ms during a 200k-event import, 2 cores).
   */
  nice?: number;
  /** Rejections reported back in full (the rest are counted; default 50). */
  maxRejections?: number;
  /**
   * Turns at the write lock with the serving thread's admin actions (write-turns.ts; the same
   * buffer as the context's `writeTurns`).
   */
  turns?: WriteTurnsBuffer;
  /** Where the port says a worker could not start (then the sync runs inline). */
  log?: (line: string) => void;
}

const DEFAULT_MIN_BYTES = 1 << 20;
/** The ingest worker's young generation (MB, all semi-spaces). */
const YOUNG_GENERATION_MB = 12;

export interface OffThreadFileIngest extends FileIngestPort {
  /** Syncs run so far on a worker thread and inline (the status and tests read them). */
  readonly runs: { worker: number; inline: number };
  /** Thread ids of the import workers running now. */
  threadIds(): number[];
  /**
   * Stops a running import (its open batch rolls back with its connection; committed batches and
   * their cursor stand, and the next sync resumes after them) and refuses new ones: the serving
   * process calls it before closing the store, so a long import never holds up its exit.
   */
  close(): Promise<void>;
}

/** The serving process's port: large imports on a worker thread (inline for a store without a file). */
export function openFileIngest(
  db: Database,
  store: AuditStore,
  opts: OffThreadIngestOptions = {},
): OffThreadFileIngest {
  const inline = inlineFileIngest(db, store);
  const file = db.location();
  const minBytes = opts.minBytes ?? DEFAULT_MIN_BYTES;
  const runs = { worker: 0, inline: 0 };
  const workers = new Set<Worker>();
  let closed = false;
  const refuse = () => new AdminError('unavailable', 'the audit import stopped: Gatehouse is shutting down');
  const here = (job: FileSourceJob, hooks: FileSourceHooks) => {
    if (closed) throw refuse();
    runs.inline++;
    return inline.run(job, hooks);
  };
  return {
    runs,
    threadIds: () => [...workers].map((w) => w.threadId),
    async run(job, hooks = {}) {
      if (!file) return here(job, hooks);
      let unread: number;
      try {
        unread = (await stat(job.path)).size - job.start.offset;
      } catch {
        // Missing or unreadable: the inline run reports it as it always has.
        return here(job, hooks);
      }
      if (unread < minBytes) return here(job, hooks);
      if (closed) throw refuse();
      const started = await runOnWorker(file, job, hooks, opts, workers);
      if (closed) throw refuse();
      if (started.ran) {
        runs.worker++;
        return started.result;
      }
      opts.log?.(`gatehouse: the audit ingest worker did not start (${started.why}); importing on the main thread`);
      return here(job, hooks);
    },
    async close() {
      closed = true;
      await Promise.all([...workers].map((w) => w.terminate()));
    },
  };
}

type WorkerOutcome = { ran: true; result: FileSourceResult } | { ran: false; why: string };

function runOnWorker(
  file: string,
  job: FileSourceJob,
  hooks: FileSourceHooks,
  opts: OffThreadIngestOptions,
  running: Set<Worker>,
): Promise<WorkerOutcome> {
  const data: IngestWorkerData = {
    role: INGEST_WORKER_ROLE,
    file,
    job,
    maxRejections: opts.maxRejections ?? 50,
    nice: opts.nice ?? 0,
    turns: opts.turns,
  };
  return new Promise((resolve, reject) => {
    let heard = false;
    let settled = false;
    let startError: Error | undefined;
    const worker = new Worker(opts.workerUrl ?? new URL(import.meta.url), {
      workerData: data,
      execArgv: workerExecArgv(import.meta.url),
      // V8's default young generation grows to 3 × 16 MB on the garbage of parsing a line per event;
      // capped, a 200k-event import peaks ~65 MB lower for the same CPU (npm run bench -- audit).
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    running.add(worker);
    // (threadId reads -1 once the thread has exited: kept for the exit handler.)
    const tid = worker.threadId;
    worker.on('message', (m: IngestWorkerMessage) => {
      heard = true;
      if (m.type === 'reject') hooks.onReject?.(m.record);
      else if (m.type === 'progress') hooks.onProgress?.(m.pos, m.total);
      else if (m.type === 'stored') hooks.onStored?.(m.indexing);
      else if (m.type === 'done') {
        settled = true;
        resolve({ ran: true, result: m.result });
      } else if (m.type === 'failed') {
        settled = true;
        reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.code }));
      }
    });
    worker.on('error', (err) => {
      startError = err;
    });
    worker.on('exit', (code) => {
      running.delete(worker);
      if (opts.turns) endWorkerTurns(opts.turns, tid);
      if (settled) return;
      // Nothing heard: it never ran (a missing bundle, a loader error): the caller imports inline.
      // Stopped mid-way (crashed, or close()): its open batch rolled back with its connection;
      // committed batches and their cursor stand, and the next sync resumes after them.
      const why = startError?.message ?? `exit code ${code}`;
      if (!heard) resolve({ ran: false, why });
      else reject(new Error(`the import stopped on its worker thread (${why})`));
    });
  });
}
