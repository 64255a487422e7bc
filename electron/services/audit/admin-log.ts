import { createHash } from 'node:crypto';
import type { Clock } from '../ports.js';
import type { Database } from '../store/database.js';

/**
 * Gatehouse's own actions (consents, suppressions, re-pins, gateway changes, policy pushes) in an
 * append-only, hash-chained log: each entry carries the SHA-256 of the previous entry, so any
 * edit or deletion breaks the chain from that point on. Details must never contain secret values.
 */
export interface AdminAction {
  /** Dotted verb, e.g. `consent.grant`, `finding.suppress`, `pin.accept`, `gateway.add`. */
  action: string;
  /** What it acted on (server id, finding id, gateway name…). */
  target: string;
  /** Who: the OS user or 'cli'. */
  actor?: string;
  details?: Record<string, unknown>;
}

export interface AdminLogEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of one entry: over its content and the previous hash, in a fixed field order. */
export function entryHash(e: Omit<AdminLogEntry, 'hash'>): string {
  const body = JSON.stringify([e.seq, e.at, e.actor, e.action, e.target, e.details, e.prevHash]);
  return createHash('sha256').update(body).digest('hex');
}

export function appendAdminAction(db: Database, clock: Clock, a: AdminAction): AdminLogEntry {
  const last = db.prepare('SELECT seq, hash FROM admin_log ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  const entry: Omit<AdminLogEntry, 'hash'> = {
    seq: (last?.seq ?? 0) + 1,
    at: clock.now().toISOString(),
    actor: a.actor ?? 'admin',
    action: a.action,
    target: a.target,
    details: a.details ?? {},
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = entryHash(entry);
  db.prepare(
    'INSERT INTO admin_log (seq, at, actor, action, target, details_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    entry.seq,
    entry.at,
    entry.actor,
    entry.action,
    entry.target,
    JSON.stringify(entry.details),
    entry.prevHash,
    hash,
  );
  return { ...entry, hash };
}

interface AdminLogRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details_json: string;
  prev_hash: string;
  hash: string;
}

export function rowToEntry(r: AdminLogRow): AdminLogEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(r.details_json) as Record<string, unknown>;
  } catch {
    details = { _unparseable: r.details_json };
  }
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Entries with seq > `afterSeq`, in order (streamed in pages by the caller). */
export function adminLogEntriesAfter(db: Database, afterSeq: number, limit = 1000): AdminLogEntry[] {
  const rows = db
    .prepare(
      'SELECT seq, at, actor, action, target, details_json, prev_hash, hash FROM admin_log WHERE seq > ? ORDER BY seq LIMIT ?',
    )
    .all(afterSeq, limit) as unknown as AdminLogRow[];
  return rows.map(rowToEntry);
}

export interface ChainCheck {
  ok: boolean;
  entries: number;
  /** The first broken link: the entry's seq and what is wrong with it. */
  brokenAt: { seq: number; problem: string } | null;
}

/**
 * Walks the chain from the genesis: each entry's hash must match its content, its prevHash the
 * previous entry's hash, and seqs must run 1, 2, 3… without gaps. Names the first broken link.
 * (Removing entries from the end cannot be seen from the chain alone.)
 */
export function verifyAdminLog(db: Database): ChainCheck {
  let prev = GENESIS_HASH;
  let expected = 1;
  let entries = 0;
  const stmt = db.prepare(
    'SELECT seq, at, actor, action, target, details_json, prev_hash, hash FROM admin_log WHERE seq >= ? ORDER BY seq LIMIT 1000',
  );
  for (;;) {
    const rows = stmt.all(expected) as unknown as AdminLogRow[];
    if (!rows.length) break;
    for (const r of rows) {
      if (r.seq !== expected) {
        return {
          ok: false,
          entries,
          brokenAt: { seq: expected, problem: `entry ${expected} is missing (next is ${r.seq})` },
        };
      }
      const e = rowToEntry(r);
      if (e.prevHash !== prev) {
        return {
          ok: false,
          entries,
          brokenAt: { seq: r.seq, problem: `prev_hash does not match the hash of entry ${r.seq - 1}` },
        };
      }
      const recomputed = entryHash({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        details: e.details,
        prevHash: e.prevHash,
      });
      if (recomputed !== r.hash) {
        return {
          ok: false,
          entries,
          brokenAt: { seq: r.seq, problem: 'content does not match its hash (entry was altered)' },
        };
      }
      prev = r.hash;
      expected++;
      entries++;
    }
  }
  return { ok: true, entries, brokenAt: null };
}
