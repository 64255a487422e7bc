/**
 * Turns at the store's write lock between the serving thread and an ingest worker (issue #13
 * item 2). SQLite's API is synchronous: a serving-thread write that finds the lock held waits for it
 * inside the call, and the event loop with it — for a batch, or a whole index build (~1–2.5 s at 1M
 * events) behind a bulk import. So the two take turns around each of the worker's write
 * transactions (batches, index builds, full-text chunks), through two shared counters:
 *   [HOLDER]  the worker thread's id while it holds, or is about to take, the write lock; else 0;
 *   [WAITING] serving-thread admin actions (and other writes) waiting, or started and not yet
 *             settled (at most HOLD_MS after their turn came).
 * An admin action waits (asynchronously: the event loop answers meanwhile) for the worker's
 * transaction to end; the worker starts its next one only while no admin action is waiting or
 * running. Writes that outlast their action's turn (a sign-in, a push, a live scan, a gateway
 * read's snapshot) or run outside any action (a config change's refresh) take a turn of their own
 * around the write itself (servingWrite). Any other serving-thread write can still meet one worker
 * transaction inside SQLite (a batch, ~0.25 s; an index build, up to ~2 s at 1M events). Both
 * sides raise their own counter before reading the other's (sequentially consistent atomics), so
 * the two never run at once; the worker backs off when they meet.
 */

const HOLDER = 0;
const WAITING = 1;
/**
 * An admin action counts as running at most this long after its turn came (a push or a sign-in
 * awaits far longer: their closing writes take turns of their own).
 */
const HOLD_MS = 2000;
/** The worker waits this long at most for admin actions to finish, then takes the lock anyway. */
const MAX_WORKER_WAIT_MS = 10_000;
/**
 * An admin action waits this long at most for the worker, then runs anyway (then its first write
 * waits inside SQLite, as without turns): a holder that vanished never blocks actions for good.
 */
const MAX_SERVING_WAIT_MS = 30_000;

export type WriteTurnsBuffer = Int32Array;

export function writeTurnsBuffer(): WriteTurnsBuffer {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** The serving thread's side: run an admin action while the worker holds no write transaction. */
export async function servingTurn<T>(turns: WriteTurnsBuffer, action: () => Promise<T>): Promise<T> {
  const release = await servingHold(turns);
  try {
    return await action();
  } finally {
    release();
  }
}

/**
 * One serving-thread write outside an admin action's turn (a config change's discovery refresh; the
 * closing writes of a sign-in, a push or a live scan, long after their action began): the same
 * turn, around the synchronous write only. Without turns (CLI, tests) it just runs.
 */
export async function servingWrite<T>(turns: WriteTurnsBuffer | undefined, write: () => T): Promise<T> {
  return turns ? servingTurn(turns, async () => write()) : write();
}

/** Takes the serving thread's turn (asynchronously); resolves with its release. */
async function servingHold(turns: WriteTurnsBuffer): Promise<() => void> {
  Atomics.add(turns, WAITING, 1);
  let held = true;
  const end = () => {
    if (!held) return;
    held = false;
    Atomics.sub(turns, WAITING, 1);
  };
  try {
    const started = performance.now();
    for (;;) {
      const holder = Atomics.load(turns, HOLDER);
      if (holder === 0 || performance.now() - started > MAX_SERVING_WAIT_MS) break;
      const w = Atomics.waitAsync(turns, HOLDER, holder, 100);
      if (w.async) await w.value;
    }
  } catch (err) {
    end();
    throw err;
  }
  // The hold counts from here: while it waited, the worker must not start another transaction
  // (else a wait longer than HOLD_MS, behind an index build, would meet the next one).
  const timer = setTimeout(end, HOLD_MS);
  timer.unref?.();
  return () => {
    clearTimeout(timer);
    end();
  };
}

/**
 * The worker's side: a turn for one write transaction, as thread `owner` (its threadId, ≥ 1).
 * Resolves with its release.
 */
export async function workerTurn(turns: WriteTurnsBuffer, owner: number): Promise<() => void> {
  const started = performance.now();
  for (;;) {
    const overdue = performance.now() - started > MAX_WORKER_WAIT_MS;
    // (Another worker's turn, of another store's import: wait for it as well.)
    if ((Atomics.load(turns, WAITING) === 0 || overdue) && Atomics.compareExchange(turns, HOLDER, 0, owner) === 0) {
      if (Atomics.load(turns, WAITING) === 0 || overdue) break;
      // An admin action started meanwhile: it goes first.
      endWorkerTurns(turns, owner);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return () => endWorkerTurns(turns, owner);
}

/**
 * Ends worker `owner`'s turn, if it holds one. Also what the port calls when the worker is gone
 * (finished, crashed or stopped): a transaction it was in rolled back with its connection, and its
 * turn must end too — else every admin action would wait for it.
 */
export function endWorkerTurns(turns: WriteTurnsBuffer, owner: number): void {
  if (Atomics.compareExchange(turns, HOLDER, owner, 0) === owner) Atomics.notify(turns, HOLDER);
}
