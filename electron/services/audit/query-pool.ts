import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AdminError, type ErrorCode } from '../../../shared/api/errors.js';
import type { Database } from '../store/database.js';
import {
  callAuditQuery,
  inlineAuditQueries,
  type AuditQueries,
  type AuditQueryArgs,
  type AuditQueryName,
  type AuditQueryResult,
} from './query-port.js';
import { QUERY_WORKER_ROLE, type QueryReply, type QueryRequest, type QueryWorkerData } from './query-worker.js';
import type { AuditStore } from './store.js';
import { workerExecArgv } from './worker-thread.js';

/**
 * Audit queries off the event loop (issue #13 item 2): a small pool of worker threads, each with a
 * read-only connection to the same WAL database, so a slow facets/histogram/search query never
 * delays another request of the serving process. Writes stay on the main connection. Bounded queue,
 * a time limit per query (the worker running it is replaced), workers restarted when they die (a
 * query they held runs once more on a fresh one). A store without a file (in-memory) runs inline.
 *
 * Workers start on demand and stop after a while idle (issue #13 item 3): each is a V8 isolate with
 * its own copy of the store's modules and a page cache, ~35 MB of RSS, which a server nobody runs
 * audit queries on should not carry.
 *
 * Two lanes, so a page never waits behind facets (issue #13 item 2). A page or count is quick
 * unless it last cost more than QUICK_MS of CPU; facets and a histogram are quick when they read at
 * most PROBE_EVENTS events (the rest from rollups), which the worker checks before running them
 * (the verdict is kept for VERDICT_MS). The `size` general workers take quick queries first, then
 * the others; while all of them are busy, one more worker (the quick lane) runs and takes only
 * quick queries, at a higher priority than the general workers.
 */

export interface AuditQueryPoolOptions {
  /** Worker threads (default: the cores, at least 2, at most 4). */
  size?: number;
  /** Queries waiting for a worker before new ones are refused (default 256). */
  maxQueued?: number;
  /** Longest a query may run before its worker is stopped and replaced (default 30 s). */
  timeoutMs?: number;
  /** A worker without a query for this long is stopped; the next query starts one (default 60 s). */
  idleMs?: number;
  /**
   * Linux: the workers' nice value (default 5), so the serving thread wins the CPU when both want it
   * (GATEHOUSE_AUDIT_QUERY_NICE overrides it; 0 runs them at the same priority).
   */
  nice?: number;
  /** An extra worker for quick queries while the general ones are busy (default true). */
  quickLane?: boolean;
  /** Tests only: see QueryWorkerData.gate (general workers only: the quick lane is never held). */
  gate?: Int32Array;
  /** Where the pool says it gave up on workers (then queries run inline). */
  log?: (line: string) => void;
  /**
   * The worker's script (default: this module's own file, which starts the worker loop when loaded
   * as one). The desktop app passes its separate worker bundle: its main bundle requires electron,
   * which a worker thread cannot load.
   */
  workerUrl?: URL;
}

interface Job {
  id: number;
  name: AuditQueryName;
  args: unknown[];
  /** name + arguments: an identical query waiting in the queue shares this job's answer. */
  key: string;
  /** name + filter (not the page position): what the query's cost is learned under. */
  costKey: string;
  quick: boolean;
  /** Quick only if it reads few events (checked by the worker first): facets or a histogram not run before. */
  probe: boolean;
  queuedAt: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  retried: boolean;
}

interface Slot {
  /** 'quick': the extra worker that only takes quick queries. */
  lane: 'general' | 'quick';
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  idle: NodeJS.Timeout | null;
  ready: boolean;
}

/** Consecutive worker deaths with no answer in between after which the pool gives up (runs inline). */
const MAX_CONSECUTIVE_DEATHS = 5;
/** A page or count that cost at most this much CPU (ms) last time is quick (at 1M events: ≤ 15 ms). */
const QUICK_MS = 80;
/**
 * How long (ms) a verdict on a query's lane is kept. Facets are judged by the events they read, not
 * by their CPU time, which varies with the load (facets of a tenant's denials at 1M events: 55 ms
 * alone, up to ~90 ms under load; of a whole tenant ~600 ms).
 */
const VERDICT_MS = 60_000;
/** A slow query waiting this long (ms) goes before quick ones on a general worker (no starvation). */
const SLOW_MAX_WAIT_MS = 1000;
/** Verdicts remembered (filters seen); the oldest goes when full. */
const MAX_VERDICTS = 1000;
/** Queries assumed quick before their cost is known. */
const QUICK_BY_NAME: ReadonlySet<AuditQueryName> = new Set(['query', 'count', 'get']);
/**
 * Facets or a histogram not run before are quick when they read at most this many events (the rest
 * from rollups); the worker checks with a few bounded index counts and defers the others.
 */
const PROBE_EVENTS = 20_000;

export function defaultPoolSize(): number {
  return Math.max(2, Math.min(4, availableParallelism()));
}

export class AuditQueryPool implements AuditQueries {
  private readonly slots: Slot[] = [];
  /** Waiting queries in arrival order (quick and slow; each worker picks what its lane takes). */
  private readonly queue: Job[] = [];
  /** Whether a query (costKey) is quick, and when that was learned. */
  private readonly verdicts = new Map<string, { quick: boolean; at: number }>();
  private nextId = 1;
  private closed = false;
  private deaths = 0;
  private fallback: AuditQueries | null = null;
  private answered = 0;
  private shared = 0;
  private inline = 0;
  readonly size: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private readonly idleMs: number;
  private readonly nice: number;
  private readonly quickLane: boolean;

  constructor(
    private readonly file: string,
    private readonly store: AuditStore,
    private readonly opts: AuditQueryPoolOptions = {},
  ) {
    this.size = Math.max(1, opts.size ?? defaultPoolSize());
    this.maxQueued = opts.maxQueued ?? 256;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.idleMs = opts.idleMs ?? 60_000;
    const envNice = Number(process.env.GATEHOUSE_AUDIT_QUERY_NICE);
    this.nice = opts.nice ?? (Number.isInteger(envNice) ? envNice : 5);
    this.quickLane = opts.quickLane ?? true;
  }

  get parallelism(): number {
    return this.fallback ? 1 : this.size;
  }

  /** Thread ids of the live workers (diagnostics and tests). */
  get threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /** Queries a worker answered (diagnostics and tests: proves a query did not run inline). */
  get answeredByWorkers(): number {
    return this.answered;
  }

  /** Queries answered on the serving thread: from the rollups, or quick ones before any worker was ready (diagnostics and tests). */
  get answeredInline(): number {
    return this.inline;
  }

  /** Queries answered by sharing an identical waiting query's answer (diagnostics and tests). */
  get sharedAnswers(): number {
    return this.shared;
  }

  /** Thread ids of the workers running a query now. */
  get busyThreadIds(): number[] {
    return this.slots.filter((s) => s.job).map((s) => s.worker.threadId);
  }

  /** Thread id of the quick lane's worker, when it runs (diagnostics and tests). */
  get quickThreadId(): number | undefined {
    return this.slots.find((s) => s.lane === 'quick')?.worker.threadId;
  }

  /** Starts every general worker (they otherwise start on demand) and resolves once each has opened its connection. */
  async whenReady(): Promise<void> {
    while (!this.closed && !this.fallback && this.general().length < this.size) this.slots.push(this.spawn('general'));
    while (!this.closed && !this.fallback && this.slots.some((s) => !s.ready))
      await new Promise((r) => setTimeout(r, 10));
  }

  /** Tests: the worker behind a thread id, e.g. to kill it. */
  workerByThreadId(id: number): Worker | undefined {
    return this.slots.find((s) => s.worker.threadId === id)?.worker;
  }

  run<K extends AuditQueryName>(name: K, ...args: AuditQueryArgs<K>): Promise<AuditQueryResult<K>> {
    if (this.closed) return Promise.reject(new AdminError('unavailable', 'the audit query pool is closed'));
    if (this.fallback) return this.fallback.run(name, ...args);
    // Answered from the rollups in a few milliseconds: here, without a worker (see answersFromRollups).
    let fromRollups = false;
    try {
      fromRollups = this.store.answersFromRollups(name, args);
    } catch {
      // a malformed filter: the query itself reports it
    }
    if (fromRollups) return this.runHere(name, args);
    // The same query already waiting (not started, so it reads the store no earlier than this one
    // would): share its answer instead of running it twice. Concurrent viewers of one Audit page ask
    // the same facets and histogram; under load they queue behind each other.
    const key = `${name}\0${JSON.stringify(args, (_k, v: unknown) => (v === undefined ? '\0undefined' : v))}`;
    const same = this.queue.find((j) => j.key === key);
    if (same) {
      this.shared++;
      return new Promise<AuditQueryResult<K>>((resolve, reject) => {
        const [res0, rej0] = [same.resolve, same.reject];
        // Each caller gets its own copy (a handler may decorate what it returns).
        same.resolve = (v) => {
          res0(v);
          resolve(structuredClone(v) as AuditQueryResult<K>);
        };
        same.reject = (e) => {
          rej0(e);
          reject(e);
        };
      });
    }
    if (this.queue.length >= this.maxQueued)
      return Promise.reject(
        new AdminError('unavailable', `too many audit queries waiting (${this.maxQueued}); try again shortly`),
      );
    const costKey = `${name}\0${JSON.stringify(args[0] ?? null)}`;
    const known = this.verdicts.get(costKey);
    const verdict = known && performance.now() - known.at < VERDICT_MS ? known.quick : undefined;
    // No worker ready yet (the session's first audit query, or the first after an idle stop): a page,
    // count or get not known to be slow is answered here (milliseconds at 1M events) instead of
    // waiting ~100-400 ms for a worker to start, and one starts meanwhile for what follows.
    if (QUICK_BY_NAME.has(name) && verdict !== false && !this.slots.some((s) => s.ready) && !this.opts.gate) {
      if (!this.general().length && this.deaths < MAX_CONSECUTIVE_DEATHS) this.slots.push(this.spawn('general'));
      return this.runHere(name, args);
    }
    return new Promise<AuditQueryResult<K>>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        name,
        args,
        key,
        costKey,
        // Not judged yet: pages and counts are quick; facets and histograms are probed.
        quick: verdict ?? true,
        probe: verdict === undefined && !QUICK_BY_NAME.has(name),
        queuedAt: performance.now(),
        resolve: resolve as (v: unknown) => void,
        reject,
        retried: false,
      });
      this.pump();
    });
  }

  /** A query on the serving thread's own connection (a rejection, not a throw, when it fails). */
  private runHere<K extends AuditQueryName>(name: K, args: AuditQueryArgs<K>): Promise<AuditQueryResult<K>> {
    this.inline++;
    return new Promise((resolve) => resolve(callAuditQuery(this.store, name, args)));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new AdminError('unavailable', 'the audit query pool is closed'));
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.timer) clearTimeout(s.timer);
        if (s.idle) clearTimeout(s.idle);
        s.job?.reject(new AdminError('unavailable', 'the audit query pool is closed'));
        s.job = null;
        await s.worker.terminate();
      }),
    );
  }

  private general(): Slot[] {
    return this.slots.filter((s) => s.lane === 'general');
  }

  private spawn(lane: Slot['lane']): Slot {
    // The quick lane runs above the general workers (still below the serving thread when they are lowered).
    const nice = lane === 'quick' ? Math.floor(this.nice / 2) : this.nice;
    const gate = lane === 'general' ? this.opts.gate : undefined;
    const data: QueryWorkerData = { role: QUERY_WORKER_ROLE, file: this.file, gate, nice };
    const worker = new Worker(this.opts.workerUrl ?? new URL(import.meta.url), {
      workerData: data,
      execArgv: workerExecArgv(import.meta.url),
    });
    const slot: Slot = { lane, worker, job: null, timer: null, idle: null, ready: false };
    worker.on('message', (reply: QueryReply) => this.answer(slot, reply));
    // 'error' is followed by 'exit': the slot is replaced once, on exit.
    worker.on('error', () => undefined);
    worker.on('exit', () => this.died(slot));
    // Idle workers do not keep the process alive; one starting for a waiting query does.
    if (!this.queue.length) worker.unref();
    return slot;
  }

  /**
   * The next query for a worker: the quick lane takes the oldest quick one; a general worker takes
   * the oldest quick one too, unless a slow one has waited past SLOW_MAX_WAIT_MS (then the oldest).
   */
  private take(slot: Slot): Job | undefined {
    const quick = this.queue.findIndex((j) => j.quick);
    let i = quick;
    if (slot.lane === 'general') {
      const head = this.queue[0];
      if (quick < 0 || (head && !head.quick && performance.now() - head.queuedAt > SLOW_MAX_WAIT_MS)) i = 0;
    }
    if (i < 0 || i >= this.queue.length) return undefined;
    return this.queue.splice(i, 1)[0];
  }

  private pump(): void {
    // The quick lane first: a quick query waiting gets its higher priority when it is free.
    const order = [...this.slots.filter((s) => s.lane === 'quick'), ...this.general()];
    for (const slot of order) {
      if (!slot.ready || slot.job || !this.queue.length) continue;
      const job = this.take(slot);
      if (!job) continue;
      if (slot.idle) clearTimeout(slot.idle);
      slot.idle = null;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => this.timedOut(slot), this.timeoutMs);
      const req: QueryRequest = {
        id: job.id,
        name: job.name,
        args: job.args,
        ...(job.probe ? { budget: PROBE_EVENTS } : {}),
      };
      slot.worker.postMessage(req);
    }
    // Queries still waiting: start workers for them (up to the pool's size), unless workers keep dying.
    const starting = this.slots.filter((s) => !s.ready).length;
    for (let n = this.queue.length - starting; n > 0 && this.general().length < this.size; n--) {
      if (this.deaths >= MAX_CONSECUTIVE_DEATHS) break;
      this.slots.push(this.spawn('general'));
    }
    // Every general worker started and busy: the quick lane starts (before a quick query has to
    // wait for a worker to start), and stops again once idle like the others.
    const general = this.general();
    if (
      this.quickLane &&
      this.deaths < MAX_CONSECUTIVE_DEATHS &&
      general.length >= this.size &&
      general.every((s) => s.ready && s.job) &&
      !this.slots.some((s) => s.lane === 'quick')
    )
      this.slots.push(this.spawn('quick'));
    // Idle workers stop after idleMs (the timer does not keep the process alive).
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      slot.worker.unref();
      if (slot.idle || !Number.isFinite(this.idleMs)) continue;
      slot.idle = setTimeout(() => this.stopIdle(slot), this.idleMs);
      slot.idle.unref();
    }
  }

  private stopIdle(slot: Slot): void {
    slot.idle = null;
    if (slot.job || this.closed) return;
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate();
  }

  private finish(slot: Slot): Job | null {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    slot.worker.unref();
    return job;
  }

  private answer(slot: Slot, reply: QueryReply): void {
    if ('ready' in reply) {
      slot.ready = true;
      this.pump();
      return;
    }
    if (slot.job?.id !== reply.id) return;
    const job = this.finish(slot) as Job;
    this.deaths = 0;
    if ('deferred' in reply) {
      // Reads too many events for the quick lane: back in the queue, in its place, as slow.
      this.judge(job, false);
      const again = { ...job, quick: false, probe: false };
      const at = this.queue.findIndex((j) => j.queuedAt > job.queuedAt);
      this.queue.splice(at < 0 ? this.queue.length : at, 0, again);
      this.pump();
      return;
    }
    this.answered++;
    if (job.probe) this.judge(job, true);
    else if (QUICK_BY_NAME.has(job.name) && reply.cpuMs !== undefined) this.judge(job, reply.cpuMs <= QUICK_MS);
    if (reply.ok) job.resolve(reply.result);
    else {
      const e = reply.error;
      job.reject(
        e.admin
          ? new AdminError(e.code as ErrorCode, e.message)
          : Object.assign(new Error(e.message), { name: e.name }),
      );
    }
    this.pump();
  }

  private judge(job: Job, quick: boolean): void {
    // Most recent last (a Map keeps insertion order): when full, the oldest verdict goes.
    this.verdicts.delete(job.costKey);
    if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value as string);
    this.verdicts.set(job.costKey, { quick, at: performance.now() });
  }

  private timedOut(slot: Slot): void {
    const job = this.finish(slot);
    if (!job) return;
    // Not quick, whatever it was assumed to be.
    this.judge(job, false);
    job.reject(
      new AdminError(
        'unavailable',
        `audit ${job.name} took longer than ${this.timeoutMs < 1000 ? `${this.timeoutMs} ms` : `${Math.round(this.timeoutMs / 1000)} s`} and was stopped: narrow the filter`,
      ),
    );
    // The worker may be inside SQLite: it is stopped and replaced without waiting for it.
    this.replace(slot, false);
  }

  private died(slot: Slot): void {
    if (this.closed || !this.slots.includes(slot)) return;
    const job = this.finish(slot);
    this.deaths++;
    if (job) {
      // Read-only and idempotent: run it once more on a fresh worker; a second death is an error.
      if (!job.retried) this.queue.unshift({ ...job, retried: true });
      else job.reject(new AdminError('internal', `the audit ${job.name} query stopped its worker twice`));
    }
    this.replace(slot, true);
  }

  private replace(slot: Slot, exited: boolean): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    if (!exited) {
      slot.worker.removeAllListeners('exit');
      void slot.worker.terminate();
    }
    if (this.deaths >= MAX_CONSECUTIVE_DEATHS) {
      // Workers cannot start here (e.g. the database cannot be opened from a thread): answer inline.
      this.slots.splice(i, 1);
      if (!this.slots.length) {
        this.opts.log?.('gatehouse: audit query workers keep stopping; audit queries now run on the main thread');
        this.fallback = inlineAuditQueries(this.store);
        for (const j of this.queue.splice(0)) {
          try {
            j.resolve(callAuditQuery(this.store, j.name, j.args as never));
          } catch (err) {
            j.reject(err as Error);
          }
        }
      }
      return;
    }
    this.slots[i] = this.spawn(slot.lane);
    this.pump();
  }
}

/**
 * The query port for a store: a worker pool for an on-disk database, inline for an in-memory one
 * (workers would each see their own empty database).
 */
export function openAuditQueries(db: Database, store: AuditStore, opts: AuditQueryPoolOptions = {}): AuditQueries {
  const file = db.location();
  if (!file) return inlineAuditQueries(store);
  return new AuditQueryPool(file, store, opts);
}
