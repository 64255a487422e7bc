import type { Database } from '../store/database.js';

const tails = new WeakMap<Database, Map<string, Promise<unknown>>>();

/**
 * Runs `fn` once every earlier call for the same session key (and database) has settled: a session's
 * store steps (a sign-in's tokens and row, a refresh, a sign-out) never interleave. Without it a
 * sign-out that landed while a sign-in waited for its write turn (seconds, behind an audit import's
 * index build) ran between the sign-in's token write and its session row, which left an "active"
 * session with no tokens; a refresh could write tokens back after a sign-out deleted them.
 * Only the store steps run in order, never the minutes a browser sign-in waits for the user.
 */
export function inSessionOrder<T>(db: Database, key: string, fn: () => Promise<T>): Promise<T> {
  let byKey = tails.get(db);
  if (!byKey) tails.set(db, (byKey = new Map()));
  const run = (byKey.get(key) ?? Promise.resolve()).then(fn, fn);
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
