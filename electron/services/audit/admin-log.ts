import { userInfo } from 'node:os';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports.js';
import type { Database } from '../store/database.js';

/**
 * Gatehouse's own actions (consents, suppressions, re-pins, gateway changes, policy pushes) in an
 * append-only, chained log: each entry carries the MAC of the previous entry, so any edit or
 * deletion breaks the chain from that point on. Details must never contain secret values.
 *
 * Two MAC schemes, told apart by the stored `hash` itself so verification is unambiguous:
 * - `hm1:<hex>`: HMAC-SHA256 under the install's admin-log key (32 random bytes in the secret
 *   store, never in the database). Without the key nobody can recompute or forge an entry.
 * - `<64 hex>`: legacy unkeyed SHA-256 (installs from before keying). Verified and reported as
 *   legacy; a legacy entry after a keyed one (or at/after the anchor's `keyedFrom`) is a downgrade.
 *
 * The key reaches `appendAdminAction` (which stays synchronous) through a per-Database binding
 * registered when the context is opened (see admin-log-anchor.ts); that binding also re-anchors
 * the head (count + hash) in the secret store after every append, which is what catches tail
 * truncation, deleting everything and restoring an older copy of the database.
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

/** Prefix of keyed entries' MACs (scheme 1: HMAC-SHA256 over the same fields as the legacy hash). */
export const KEYED_PREFIX = 'hm1:';
export type MacScheme = 'hmac-sha256' | 'legacy-sha256';

/** The scheme a stored `hash` was made with, or null when it is neither (a damaged or forged value). */
export function macScheme(hash: string): MacScheme | null {
  if (/^hm1:[0-9a-f]{64}$/.test(hash)) return 'hmac-sha256';
  if (/^[0-9a-f]{64}$/.test(hash)) return 'legacy-sha256';
  return null;
}

function entryBody(e: Omit<AdminLogEntry, 'hash'>): string {
  return JSON.stringify([e.seq, e.at, e.actor, e.action, e.target, e.details, e.prevHash]);
}

/** The legacy, unkeyed hash of one entry: over its content and the previous hash, in a fixed field order. */
export function entryHash(e: Omit<AdminLogEntry, 'hash'>): string {
  return createHash('sha256').update(entryBody(e)).digest('hex');
}

/** The keyed MAC of one entry (domain-separated from anything else the key could be used for). */
export function entryMac(key: Buffer, e: Omit<AdminLogEntry, 'hash'>): string {
  return (
    KEYED_PREFIX +
    createHmac('sha256', key)
      .update('gatehouse.admin-log.hm1\n' + entryBody(e))
      .digest('hex')
  );
}

/**
 * What a Database's admin log is bound to: the key, and who to tell after an append (the anchor
 * writer). Registered by `openAdminLog`/`openAdminLogSync` (admin-log-anchor.ts).
 */
export interface AdminLogBinding {
  readonly key: Buffer;
  /** Called right after a keyed entry is inserted (possibly inside a still-open transaction). */
  appended(entry: AdminLogEntry): void;
}

const bindings = new WeakMap<Database, AdminLogBinding>();

export function bindAdminLog(db: Database, binding: AdminLogBinding): void {
  bindings.set(db, binding);
}

export function adminLogBinding(db: Database): AdminLogBinding | undefined {
  return bindings.get(db);
}

/**
 * Appends one action. Keyed when the Database has a binding (every composition root registers
 * one). A bare Database (a capability's unit test with no secret store) keeps the legacy unkeyed
 * format, which verification reports as legacy; but once the log holds keyed entries an unkeyed
 * append is refused, since it would read as a downgrade.
 */
/**
 * Who acted when a caller names nobody: the OS account (never a constant like "admin"). Callers
 * with a service context pass identity's actorOf(ctx), which prefers the signed-in admin.
 */
export function osActor(): string {
  try {
    return userInfo().username || 'unknown user';
  } catch {
    return 'unknown user';
  }
}

const lastEntry = (db: Database) =>
  db.prepare('SELECT seq, hash FROM admin_log ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;

/** The log is keyed (its last entry is an HMAC) but no key is bound: an append would be refused. */
function keyMissing(binding: AdminLogBinding | undefined, last: { hash: string } | undefined): boolean {
  return !binding && !!last && macScheme(last.hash) === 'hmac-sha256';
}

/** Why an append would be refused now (the log is keyed and its key was not loaded), else null. */
export function adminLogRefusal(db: Database): string | null {
  const binding = bindings.get(db);
  // (Bound: nothing to read.)
  return !binding && keyMissing(binding, lastEntry(db))
    ? 'The admin log is keyed but its key was not loaded from the secret store, so no admin action can be recorded.'
    : null;
}

export function appendAdminAction(db: Database, clock: Clock, a: AdminAction): AdminLogEntry {
  const binding = bindings.get(db);
  const last = lastEntry(db);
  if (keyMissing(binding, last)) {
    throw new Error(
      'The admin log is keyed but its key was not loaded for this database (openAdminLog): refusing to append an unkeyed entry.',
    );
  }
  const entry: Omit<AdminLogEntry, 'hash'> = {
    seq: (last?.seq ?? 0) + 1,
    at: clock.now().toISOString(),
    actor: a.actor ?? osActor(),
    action: a.action,
    target: a.target,
    details: a.details ?? {},
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = binding ? entryMac(binding.key, entry) : entryHash(entry);
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
  const full = { ...entry, hash };
  binding?.appended(full);
  return full;
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

/**
 * The head of the chain as last recorded outside the database (secret store, exports): how many
 * entries there were, the MAC of the last one, and the seq from which every entry must be keyed.
 */
export interface AdminLogAnchor {
  v: 1;
  count: number;
  headHash: string;
  keyedFrom: number;
  at: string;
}

export type AnchorStatus =
  /** The database holds exactly the anchored entries. */
  | 'matches'
  /** More entries than anchored, all verifying with the key (a crash before the anchor write). */
  | 'behind'
  /** Fewer entries than anchored: the tail was removed, or an older copy of the database restored. */
  | 'truncated'
  /** The entry at the anchored count is not the anchored one: entries were rewritten or replaced. */
  | 'head-differs'
  /** Keyed entries but no anchor in the secret store: it was removed. */
  | 'missing'
  /** The stored anchor cannot be read. */
  | 'unreadable'
  /** No anchor and nothing keyed yet (a legacy log never opened with a key). */
  | 'none'
  /** The caller did not supply the anchor (a bare chain check). */
  | 'not-checked';

export interface AnchorCheck {
  status: AnchorStatus;
  /** What the anchor records (null when there is none or it is unreadable). */
  anchor: Omit<AdminLogAnchor, 'v'> | null;
  /** Entries in the database after the anchored count. */
  unanchored: number;
  /** One sentence saying what was found. */
  message: string;
}

export interface ChainCheck {
  ok: boolean;
  /** Entries that verified, from the genesis up to the first broken link (all of them when ok). */
  entries: number;
  /** The first broken link: the entry's seq and what is wrong with it. */
  brokenAt: { seq: number; problem: string } | null;
  /** Of the verified entries: how many carry the keyed MAC, how many the legacy unkeyed hash. */
  keyed: number;
  legacy: number;
  anchor: AnchorCheck;
}

export interface VerifyOptions {
  /** The admin-log key; keyed entries cannot be verified without it. */
  key?: Buffer | null;
  /** The anchor from the secret store (null: none stored; 'unreadable'; undefined: not checked). */
  anchor?: AdminLogAnchor | null | 'unreadable';
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function plural(n: number): string {
  return `${n} entr${n === 1 ? 'y' : 'ies'}`;
}

/**
 * Walks the chain from the genesis: each entry's MAC (keyed) or hash (legacy) must match its
 * content, its prevHash the previous entry's, seqs must run 1, 2, 3… without gaps, and no legacy
 * entry may follow a keyed one or sit at/after the anchor's `keyedFrom`. Then compares the head
 * with the anchor (when given), which is what catches removing entries from the end. Names the
 * first broken link.
 */
export function verifyAdminLog(db: Database, opts: VerifyOptions = {}): ChainCheck {
  const key = opts.key ?? null;
  const anchor = opts.anchor && opts.anchor !== 'unreadable' ? opts.anchor : null;
  let prev = GENESIS_HASH;
  let expected = 1;
  let entries = 0;
  let keyed = 0;
  let legacy = 0;
  let brokenAt: ChainCheck['brokenAt'] = null;
  const stmt = db.prepare(
    'SELECT seq, at, actor, action, target, details_json, prev_hash, hash FROM admin_log WHERE seq >= ? ORDER BY seq LIMIT 1000',
  );
  walk: for (;;) {
    const rows = stmt.all(expected) as unknown as AdminLogRow[];
    if (!rows.length) break;
    for (const r of rows) {
      const broken = (problem: string) => {
        brokenAt = { seq: r.seq, problem };
      };
      if (r.seq !== expected) {
        brokenAt = { seq: expected, problem: `entry ${expected} is missing (next is ${r.seq})` };
        break walk;
      }
      const e = rowToEntry(r);
      if (e.prevHash !== prev) {
        broken(`prev_hash does not match the hash of entry ${r.seq - 1}`);
        break walk;
      }
      const scheme = macScheme(r.hash);
      const content = {
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        details: e.details,
        prevHash: e.prevHash,
      };
      if (scheme === null) {
        broken('its hash is in no known MAC scheme (entry was forged or damaged)');
        break walk;
      }
      if (scheme === 'legacy-sha256') {
        if (keyed > 0) {
          broken('unkeyed (legacy) entry after keyed entries: the chain was downgraded and recomputed without the key');
          break walk;
        }
        if (anchor && r.seq >= anchor.keyedFrom) {
          broken(
            `unkeyed (legacy) entry although every entry from ${anchor.keyedFrom} on is keyed: the chain was downgraded and recomputed without the key`,
          );
          break walk;
        }
        if (entryHash(content) !== r.hash) {
          broken('content does not match its hash (entry was altered)');
          break walk;
        }
        legacy++;
      } else {
        if (!key) {
          broken('entry is keyed but the admin-log key is not in the secret store, so it cannot be verified');
          break walk;
        }
        if (!sameMac(entryMac(key, content), r.hash)) {
          broken('content does not match its keyed MAC (entry was altered or forged without the key)');
          break walk;
        }
        keyed++;
      }
      prev = r.hash;
      expected++;
      entries++;
    }
  }
  const anchorCheck = checkAnchor(db, opts.anchor, brokenAt === null ? entries : null, keyed);
  const anchorBad = ['truncated', 'head-differs', 'missing', 'unreadable'].includes(anchorCheck.status);
  return { ok: brokenAt === null && !anchorBad, entries, brokenAt, keyed, legacy, anchor: anchorCheck };
}

function checkAnchor(
  db: Database,
  given: VerifyOptions['anchor'],
  verifiedCount: number | null,
  keyed: number,
): AnchorCheck {
  if (given === undefined)
    return { status: 'not-checked', anchor: null, unanchored: 0, message: 'the anchor was not checked' };
  if (given === 'unreadable')
    return {
      status: 'unreadable',
      anchor: null,
      unanchored: 0,
      message: 'the anchor in the secret store cannot be read (it was damaged or replaced)',
    };
  const dbCount =
    verifiedCount ?? (db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM admin_log').get() as { n: number }).n;
  if (given === null) {
    const anyKeyed = keyed > 0 || !!db.prepare("SELECT 1 AS x FROM admin_log WHERE hash LIKE 'hm1:%' LIMIT 1").get();
    return anyKeyed
      ? {
          status: 'missing',
          anchor: null,
          unanchored: dbCount,
          message: 'the log is keyed but no anchor is stored in the secret store (it was removed)',
        }
      : {
          status: 'none',
          anchor: null,
          unanchored: dbCount,
          message: 'no anchor yet: this legacy log has not been opened with a key',
        };
  }
  const { v: _v, ...anchor } = given;
  if (dbCount < given.count)
    return {
      status: 'truncated',
      anchor,
      unanchored: 0,
      message: `tail truncated: the anchor records ${plural(given.count)}, the database has ${dbCount} (entries were removed from the end, or an older copy of the database was restored)`,
    };
  const atHead =
    given.count === 0
      ? GENESIS_HASH
      : (db.prepare('SELECT hash FROM admin_log WHERE seq = ?').get(given.count) as { hash: string } | undefined)?.hash;
  if (atHead !== given.headHash)
    return {
      status: 'head-differs',
      anchor,
      unanchored: 0,
      message: `head differs: entry ${given.count} is not the one anchored at ${given.at} (entries were rewritten or the database replaced)`,
    };
  if (dbCount > given.count) {
    const n = dbCount - given.count;
    return {
      status: 'behind',
      anchor,
      unanchored: n,
      message: `${plural(n)} after the last anchor (${given.count}), verified with the key: Gatehouse stopped before writing the anchor; chain intact`,
    };
  }
  return { status: 'matches', anchor, unanchored: 0, message: `anchor matches: ${plural(given.count)}` };
}
