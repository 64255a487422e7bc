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
