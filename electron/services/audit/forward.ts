import type { AuditEventDraft } from '../../../shared/model/audit.js';
import type { PgAuditStore } from '../fleet/audit.js';
import { transaction, type Database } from '../store/database.js';
import { maskAuditField } from './mask.js';
import { dedupeUid } from './original.js';
import type { AuditStore, IngestRecord } from './store.js';

/**
 * Forwarding this workstation's timeline to the team timeline. Each team store (keyed by its URL,
 * password masked) has a high-water mark in `audit_team_forward`: the highest local event id sent
 * and committed there. A run sends the events after it in id order, in batches, and moves the mark
 * only after a batch's ingest returned (every chunk committed). A failure (store down, connection
 * cut mid-batch) leaves the mark, so the next run sends those events again; the team store keeps
 * one row per (uid, ts), so every event arrives exactly once.
 *
 * The team uid: an event whose local uid is the hash of its source record id keeps that key, so
 * two workstations (or `audit import --team`) sending the same gateway record store it once; an
 * event keyed by its content (no record id) is keyed by its local uid, the same on every resend.
 */

export const FORWARD_BATCH = 5000;
/**
 * Events sent per run at most (the follower continues 5 s later): a first forward of a large local
 * history holds the sync queue for seconds, not minutes (measured ~3,200 events/s, ingest-bound).
 */
export const FORWARD_MAX_PER_RUN = 20_000;

export interface ForwardResult {
  /** Events sent in this run (new in the team store or already there). */
  sent: number;
  /** Of those, new in the team store. */
  imported: number;
  /** Local events not yet sent. */
  pending: number;
  error: string | null;
}

interface Row {
  id: number;
  uid: string;
  source_kind: string;
  source_record_id: string | null;
}

export function forwardMark(db: Database, target: string): number {
  const r = db.prepare('SELECT after_id FROM audit_team_forward WHERE target = ?').get(target) as
    { after_id: number } | undefined;
  return r?.after_id ?? 0;
}

/** Moves the mark and records the attempt: a success clears `failing_since`, a failure keeps its first time. */
function setMark(db: Database, target: string, afterId: number, sent: number, error: string | null, at: string): void {
  const ok = error === null ? at : null;
  db.prepare(
    `INSERT INTO audit_team_forward (target, after_id, forwarded, last_at, last_error, last_success_at, failing_since)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (target) DO UPDATE SET after_id = excluded.after_id, forwarded = forwarded + excluded.forwarded,
       last_at = excluded.last_at, last_error = excluded.last_error,
       last_success_at = COALESCE(excluded.last_success_at, last_success_at),
       failing_since = CASE WHEN excluded.last_error IS NULL THEN NULL ELSE COALESCE(failing_since, excluded.last_at) END`,
  ).run(target, afterId, sent, at, error, ok, ok === null ? at : null);
}

/**
 * Local ids are SQLite rowids (max + 1): deleting the newest events (retention, removing a source)
 * lets new events reuse ids at or below a mark. Called after every deletion, it lowers the marks to
 * the highest id left, so those new events are still sent.
 */
export function clampForwardMarks(db: Database): void {
  const max = (db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM audit_events').get() as { m: number }).m;
  lowerForwardMarks(db, max);
}

/** Every mark above `to` moves down to it (events from there are sent again; the team store dedupes). */
export function lowerForwardMarks(db: Database, to: number): void {
  db.prepare('UPDATE audit_team_forward SET after_id = ? WHERE after_id > ?').run(to, to);
}

/** The ingest record that re-sends a stored (already masked) event. */
function recordOf(row: Row, event: AuditEventDraft): IngestRecord {
  const rid = row.source_record_id;
  const key = rid !== null && dedupeUid(row.source_kind, rid).toString() === row.uid ? rid : `local-uid:${row.uid}`;
  return { event, key };
}

export async function forwardToTeam(
  db: Database,
  local: AuditStore,
  team: PgAuditStore,
  target: string,
  now: () => Date,
  opts: { batch?: number; max?: number } = {},
): Promise<ForwardResult> {
  const batch = opts.batch ?? FORWARD_BATCH;
  const max = opts.max ?? FORWARD_MAX_PER_RUN;
  const out: ForwardResult = { sent: 0, imported: 0, pending: 0, error: null };
  const rows = db.prepare(
    `SELECT id, CAST(uid AS TEXT) AS uid, source_kind, source_record_id FROM audit_events
     WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const held = db.prepare('SELECT id, CAST(uid AS TEXT) AS uid FROM audit_events WHERE id > ? AND id <= ? ORDER BY id');
  /** Local id → uid of every event this run sent. */
  const sentUid = new Map<number, string>();
  let mark = forwardMark(db, target);
  try {
    while (out.sent < max) {
      // One read snapshot: the ids and the events they name are the same rows.
      const { page, records } = readSnapshot(db, () => {
        const page = rows.all(mark, Math.min(batch, max - out.sent)) as unknown as Row[];
        const records: IngestRecord[] = [];
        for (const r of page) {
          const e = local.get(String(r.id));
          if (!e) continue;
          const { id: _id, ...draft } = e;
          records.push(recordOf(r, draft));
          sentUid.set(r.id, r.uid);
        }
        return { page, records };
      });
      if (!page.length) break;
      const res = await team.ingest(records);
      const top = page[page.length - 1]!.id;
      // While the batch was on its way, events may have been deleted and their ids reused, or
      // restored under old ids (and the mark lowered for them): the mark moves only up to the
      // first id at or below `top` that now holds an event this run did not send.
      mark = transaction(db, () => {
        const from = Math.min(mark, forwardMark(db, target));
        const stray = (held.all(from, top) as unknown as { id: number; uid: string }[]).find(
          (r) => sentUid.get(r.id) !== r.uid,
        );
        const next = stray ? stray.id - 1 : top;
        setMark(db, target, next, records.length, null, now().toISOString());
        return next;
      });
      out.sent += records.length;
      out.imported += res.imported;
    }
    // A run with nothing to send still went through (the status shows when forwarding last worked).
    if (out.sent === 0) setMark(db, target, mark, 0, null, now().toISOString());
  } catch (err) {
    out.error = maskAuditField(err instanceof Error ? err.message : String(err));
    setMark(db, target, mark, 0, out.error, now().toISOString());
  }
  out.pending = pendingCount(db, target);
  return out;
}

function readSnapshot<T>(db: Database, fn: () => T): T {
  db.exec('BEGIN');
  try {
    return fn();
  } finally {
    db.exec('COMMIT');
  }
}

function pendingCount(db: Database, target: string): number {
  return (
    db.prepare('SELECT count(*) AS n FROM audit_events WHERE id > ?').get(forwardMark(db, target)) as { n: number }
  ).n;
}

/** Records a forward that could not start (store unreachable): the mark stays where it was. */
export function forwardFailed(db: Database, target: string, error: string | null, at: Date): ForwardResult {
  setMark(db, target, forwardMark(db, target), 0, error, at.toISOString());
  return { sent: 0, imported: 0, pending: pendingCount(db, target), error };
}

/** The forward state per team store (for status and tests). */
export function forwardState(
  db: Database,
  target: string,
): { afterId: number; forwarded: number; lastError: string | null } | null {
  const r = db
    .prepare('SELECT after_id, forwarded, last_error FROM audit_team_forward WHERE target = ?')
    .get(target) as { after_id: number; forwarded: number; last_error: string | null } | undefined;
  return r ? { afterId: r.after_id, forwarded: r.forwarded, lastError: r.last_error } : null;
}
