import type { Database } from '../store/database.js';

/**
 * Full-text rows of a bulk load, added after it (issue #13 item 4). A large import stores events,
 * rollups and the dedupe index batch by batch but leaves the full-text rows out; they are added in
 * large chunks afterwards. Meanwhile facets, histogram and filters answer as usual and text search
 * reports "catching-up" (it misses the events not indexed yet). The first event id not indexed is
 * kept in audit_settings, so a killed import is caught up the next time the store is opened.
 */

const KEY = 'searchPendingFrom';
/** Events indexed per transaction while catching up (the write lock is released for a while between chunks of ~0.2 s). */
const CHUNK = 50_000;
/** The searchable text of an event (the same expression as the per-batch insert and migration 302). */
const FTS_BODY_SQL = `concat_ws(' ', tenant, user_id, client, method, server, tool, prompt, resource_uri, reason, error_type,
  session_id, source_record_id)`;

export type SearchState = 'ready' | 'catching-up';

/** Marks every event after `lastIndexedId` as not yet in the full-text index (inside the caller's transaction). */
export function markSearchPending(db: Database, lastIndexedId: number): void {
  const existing = pendingFrom(db);
  const from = existing === null ? lastIndexedId : Math.min(existing, lastIndexedId);
  db.prepare(
    'INSERT INTO audit_settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json',
  ).run(KEY, JSON.stringify({ after: from }));
}

function pendingFrom(db: Database): number | null {
  const row = db.prepare('SELECT value_json FROM audit_settings WHERE key = ?').get(KEY) as
    { value_json: string } | undefined;
  if (!row) return null;
  try {
    const v = JSON.parse(row.value_json) as { after?: unknown };
    return typeof v.after === 'number' ? v.after : 0;
  } catch {
    return 0;
  }
}

export function searchState(db: Database): SearchState {
  return pendingFrom(db) === null ? 'ready' : 'catching-up';
}

/** Adds one chunk of missing full-text rows; true when none are left (the mark is removed). */
function catchUpChunk(db: Database): boolean {
  db.exec('BEGIN IMMEDIATE');
  try {
    const after = pendingFrom(db);
    if (after === null) {
      db.exec('COMMIT');
      return true;
    }
    const max = (db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM audit_events').get() as { m: number }).m;
    const to = Math.min(max, after + CHUNK);
    db.prepare(
      `INSERT INTO audit_fts (rowid, body) SELECT id, ${FTS_BODY_SQL} FROM audit_events WHERE id > ? AND id <= ?`,
    ).run(after, to);
    const done = to >= max;
    if (done) db.prepare('DELETE FROM audit_settings WHERE key = ?').run(KEY);
    else db.prepare('UPDATE audit_settings SET value_json = ? WHERE key = ?').run(JSON.stringify({ after: to }), KEY);
    db.exec('COMMIT');
    return done;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/**
 * Between two long write transactions of a bulk load's aftermath (index builds, full-text chunks):
 * the event loop answers. On an ingest worker (`offThread`) the gap is long enough for a writer on
 * another connection that takes no turn (write-turns.ts) to get the lock: SQLite's busy handler
 * sleeps up to 100 ms between tries, so a shorter gap is missed (the serving thread's writes waited
 * ~1.7 s behind a worker whose transactions followed each other at once). Inline, where the
 * importing thread is the serving one, a turn of the event loop is enough (~2.5 s less at 1M events).
 */
export function writeLockGap(offThread: boolean): Promise<void> {
  return new Promise((r) => (offThread ? setTimeout(r, WRITE_LOCK_GAP_MS) : setImmediate(r)));
}
const WRITE_LOCK_GAP_MS = 110;

/**
 * Catches the full-text index up, releasing the write lock for a while between chunks (and taking a
 * turn for each chunk when given `longWrite`: write-turns.ts).
 */
export async function catchUpSearch(db: Database, longWrite?: () => Promise<() => void>): Promise<void> {
  for (;;) {
    const release = await longWrite?.();
    let done: boolean;
    try {
      done = catchUpChunk(db);
    } finally {
      release?.();
    }
    if (done) return;
    await writeLockGap(!!longWrite);
  }
}

/** The same, without yielding (opening a store after an interrupted import). */
export function catchUpSearchSync(db: Database): void {
  while (!catchUpChunk(db));
}
