/**
 * Turns at the store's write lock between the serving thread and an ingest worker (issue #13
 * item 2). SQLite's API is synchronous: a serving-thread write that finds the lock held waits for it
 * inside the call, and the event loop with it — up to a whole index build (~1–2.5 s at 1M events)
 * behind a bulk import's aftermath. So the two take turns around the worker's long transactions
 * (index builds, full-text chunks), through two shared counters:
 *   [LONG]    1 while the worker holds, or is about to take, a long write transaction;
 *   [WAITING] serving-thread admin actions started and not yet settled (or HOLD_MS old).
 * An admin action waits (asynchronously: the event loop answers meanwhile) for a long transaction
 * to end; the worker starts the next one only while no admin action is running. Both sides raise
 * their own counter before reading the other's (sequentially consistent atomics), so the two never
 * run at once; the worker backs off when they meet. Ordinary batches (tens of milliseconds) take
 * no turn.
 */

const LONG = 0;
const WAITING = 1;
/** An admin action counts as running at most this long (a sync or a push awaits far longer). */
const HOLD_MS = 2000;
/** The worker waits this long at most for admin actions to finish, then takes the lock anyway. */
const MAX_WORKER_WAIT_MS = 10_000;

export type WriteTurnsBuffer = Int32Array;

export function writeTurnsBuffer(): WriteTurnsBuffer {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** The serving thread's side: run an admin action when no long write transaction is in progress. */
export async function servingTurn<T>(turns: WriteTurnsBuffer, action: () => Promise<T>): Promise<T> {
  Atomics.add(turns, WAITING, 1);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    Atomics.sub(turns, WAITING, 1);
  };
  const timer = setTimeout(release, HOLD_MS);
  timer.unref?.();
  try {
    while (Atomics.load(turns, LONG) !== 0) {
      const w = Atomics.waitAsync(turns, LONG, 1, 100);
      if (w.async) await w.value;
    }
    return await action();
  } finally {
    clearTimeout(timer);
    release();
  }
}

/** The worker's side: take a turn for one long write transaction (release it with the result). */
export async function longWriteTurn(turns: WriteTurnsBuffer): Promise<() => void> {
  const started = performance.now();
  for (;;) {
    if (Atomics.load(turns, WAITING) === 0 || performance.now() - started > MAX_WORKER_WAIT_MS) {
      Atomics.store(turns, LONG, 1);
      if (Atomics.load(turns, WAITING) === 0 || performance.now() - started > MAX_WORKER_WAIT_MS) break;
      // An admin action started meanwhile: it goes first.
      Atomics.store(turns, LONG, 0);
      Atomics.notify(turns, LONG);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return () => {
    Atomics.store(turns, LONG, 0);
    Atomics.notify(turns, LONG);
  };
}

/**
 * The worker is gone (finished, crashed or stopped): a long transaction it was in is over (rolled back
 * with its connection), so its turn ends too — else every admin action would wait for it forever.
 */
export function endWorkerTurns(turns: WriteTurnsBuffer): void {
  Atomics.store(turns, LONG, 0);
  Atomics.notify(turns, LONG);
}
