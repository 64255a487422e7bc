import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from '../store/database.js';

const tails = new WeakMap<Database, Map<string, Promise<unknown>>>();

/** A session step running now, as seen from the async work it started. */
interface Hold {
  db: Database;
  key: string;
  running: boolean;
}
const holding = new AsyncLocalStorage<readonly Hold[]>();

/**
 * Runs `fn` once every earlier call for the same session key (and database) has settled: a session's
 * store steps (a sign-in's tokens and row, a refresh, a sign-out) never interleave. Without it a
 * sign-out that landed while a sign-in waited for its write turn (seconds, behind an audit import's
 * index build) ran between the sign-in's token write and its session row, which left an "active"
 * session with no tokens; a refresh could write tokens back after a sign-out deleted them.
 * Only the store steps run in order, never the minutes a browser sign-in waits for the user.
 *
 * A call made from within a running step of the same key (a refresh's token write, which the MCP
 * SDK makes through the provider) is part of that step and runs at once: queued, it would wait for
 * the step that waits for it.
 */
export function inSessionOrder<T>(db: Database, key: string, fn: () => Promise<T>): Promise<T> {
  const held = holding.getStore() ?? [];
  if (held.some((h) => h.running && h.db === db && h.key === key)) return fn();
  let byKey = tails.get(db);
  if (!byKey) tails.set(db, (byKey = new Map()));
  const hold: Hold = { db, key, running: false };
  const step = async () => {
    hold.running = true;
    try {
      return await holding.run([...held, hold], fn);
    } finally {
      // Work the step started and left running is not part of it any more.
      hold.running = false;
    }
  };
  const run = (byKey.get(key) ?? Promise.resolve()).then(step, step);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  byKey.set(key, tail);
  void tail.then(() => {
    if (byKey.get(key) === tail) byKey.delete(key);
  });
  return run;
}
