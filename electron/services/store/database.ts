import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as NodeSqlite from 'node:sqlite';
import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';
import { createRequire } from 'node:module';
import { MIGRATIONS } from './migrations.js';

export type Database = DatabaseSyncType;

const require = createRequire(import.meta.url);

/**
 * Opens (or creates) the local store and brings its schema up to date. `node:sqlite` needs
 * Node 22.5+; it is loaded lazily so that the message on older Node names the real problem.
 */
export function openDatabase(file: string): Database {
  let sqlite: typeof NodeSqlite;
  try {
    sqlite = require('node:sqlite') as typeof NodeSqlite;
  } catch {
    throw new Error(`Gatehouse's store needs node:sqlite (Node 22.5 or newer); this is Node ${process.versions.node}.`);
  }
  // The store holds consents, findings and audit trails: readable by this user only.
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new sqlite.DatabaseSync(file);
  if (file !== ':memory:') restrictToOwner(file);
  // The busy timeout first: switching to WAL and migrating take locks that a second process
  // opening the same folder at the same moment must wait for, not fail on.
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;');
  migrate(db);
  return db;
}

/** Applies numbered migrations in order, each in its own transaction, and records them. */
export function migrate(db: Database): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  let applied = 0;
  const isDone = db.prepare('SELECT 1 AS x FROM schema_migrations WHERE version = ?');
  // Versions are applied by set membership, not max: capabilities own disjoint ranges.
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    // IMMEDIATE takes the write lock up front (waiting out the busy timeout); another process may
    // have applied the same migration while we waited, so check again inside the transaction.
    db.exec('BEGIN IMMEDIATE');
    if (isDone.get(m.version)) {
      db.exec('COMMIT');
      continue;
    }
    try {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
      db.exec('COMMIT');
      applied++;
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`Store migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}

/**
 * Runs `fn` in a write transaction. IMMEDIATE: a deferred transaction that reads and then writes
 * fails at once with SQLITE_BUSY when another process wrote in between (the busy timeout does not
 * apply to that upgrade); taking the write lock first makes concurrent writers wait their turn.
 */
export function transaction<T>(db: Database, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/** 0600 on the database and its WAL/SHM companions (POSIX; a no-op where modes do not apply). */
function restrictToOwner(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if (existsSync(f)) chmodSync(f, 0o600);
    } catch {
      // Not ours to change (e.g. a shared folder): the store still works.
    }
  }
}
