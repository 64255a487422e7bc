import type { SQLInputValue } from 'node:sqlite';
import type { Database } from '../store/database.js';

/**
 * The recorded calls a policy simulation replays, grouped into distinct (subject, method, server,
 * tool, prompt, resource) tuples in SQL: one pass over the table (or the time index for a range) and
 * one sort, no per-event JSON. A range can be cut into parts that are grouped on separate
 * connections at once (the audit query workers) and merged with `mergeReplayTuples`: the sort of a
 * million events is most of a simulation's time, and it splits evenly across cores.
 */

export interface ReplayTuple {
  user_id: string;
  /** The smallest of the tuple's tenants (a sample: membership comes from the policy documents). */
  tenant: string | null;
  method: string;
  server: string;
  tool: string | null;
  prompt: string | null;
  resource_uri: string | null;
  n: number;
  first_id: number;
  last_id: number;
}

/** Epoch milliseconds: `since` inclusive, `until` exclusive (as the timeline's filter). */
export interface ReplayRange {
  since?: number;
  until?: number;
}

/**
 * One part of a replay: a rowid range of the table (the whole of it), or a time range of the time
 * index; `toId` (exclusive) also keeps out events stored after the plan was made.
 */
export interface ReplaySlice {
  since?: number;
  until?: number;
  fromId?: number;
  toId: number;
}

export interface ReplayPlan {
  /** Events in the range when the plan was made (replayable or not). */
  events: number;
  slices: ReplaySlice[];
}

/** The columns a tuple is grouped and ordered by, in SQLite's order. */
const KEY = ['user_id', 'method', 'server', 'tool', 'prompt', 'resource_uri'] as const;

/**
 * The range's event count and `of` slices of it, read together (one snapshot): the slices cover
 * exactly the events counted, whatever is stored or removed while they are grouped.
 */
export function replayPlan(db: Database, range: ReplayRange, of: number): ReplayPlan {
  db.exec('BEGIN');
  try {
    const b = db.prepare('SELECT MIN(id) AS lo, MAX(id) AS hi FROM audit_events').get() as {
      lo: number | null;
      hi: number | null;
    };
    if (b.lo === null || b.hi === null) return { events: 0, slices: [] };
    const toId = b.hi + 1;
    const parts = Math.max(1, Math.floor(of));
    if (range.since === undefined && range.until === undefined) {
      const events = (db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
      const at = cut(b.lo, toId, parts);
      return { events, slices: at.slice(1).map((to, i) => ({ fromId: at[i] as number, toId: to })) };
    }
    const t = db.prepare('SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM audit_events').get() as { lo: number; hi: number };
    const since = range.since ?? t.lo;
    const until = range.until ?? t.hi + 1;
    const events = (
      db.prepare('SELECT COUNT(*) AS n FROM audit_events WHERE ts >= ? AND ts < ?').get(since, until) as { n: number }
    ).n;
    const at = cut(since, Math.max(since, until), parts);
    return { events, slices: at.slice(1).map((to, i) => ({ since: at[i] as number, until: to, toId })) };
  } finally {
    db.exec('COMMIT');
  }
}

/** `parts` + 1 boundaries from lo to hi, evenly spaced. */
function cut(lo: number, hi: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, k) => (k === parts ? hi : lo + Math.floor(((hi - lo) * k) / parts)));
}

/**
 * Distinct replayable tuples of `methods` calls in a slice, in key order: calls with a subject and a
 * server, and with the object their method names (a tool call's tool…).
 */
export function replayTuples(db: Database, slice: ReplaySlice, methods: readonly string[]): ReplayTuple[] {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  const byId = slice.fromId !== undefined;
  if (byId) {
    // A rowid range of the table, read in one pass.
    where.push('id >= ? AND id < ?');
    params.push(slice.fromId as number, slice.toId);
  } else {
    // The time index; `+id` keeps SQLite from reading the whole table in rowid order instead.
    where.push('ts >= ? AND ts < ? AND +id < ?');
    params.push(slice.since ?? 0, slice.until ?? 0, slice.toId);
  }
  // `+` keeps SQLite off the per-column indexes (a random row read per event).
  const sql = `SELECT ${KEY.join(', ')}, MIN(tenant) AS tenant, COUNT(*) AS n, MIN(id) AS first_id, MAX(id) AS last_id
    FROM audit_events
    WHERE ${where.join(' AND ')} AND method IN (${methods.map(() => '?').join(', ')})
      AND +user_id IS NOT NULL AND +server IS NOT NULL
      AND NOT (method = 'tools/call' AND tool IS NULL) AND NOT (method = 'prompts/get' AND prompt IS NULL)
      AND NOT (method = 'resources/read' AND resource_uri IS NULL)
    GROUP BY ${KEY.join(', ')} ORDER BY ${KEY.join(', ')}`;
  return db.prepare(sql).all(...params, ...methods) as unknown as ReplayTuple[];
}

/**
 * SQLite's order of TEXT under the BINARY collation (UTF-8 bytes, i.e. code points), NULL first.
 * JavaScript compares UTF-16 units, which differs for a surrogate pair against U+E000..U+FFFF.
 */
export function compareSqlText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

function compareTuples(x: ReplayTuple, y: ReplayTuple): number {
  for (const k of KEY) {
    const c = compareSqlText(x[k], y[k]);
    if (c) return c;
  }
  return 0;
}

/**
 * The parts' tuples as one grouping of the whole range would give them (same sums, minima, order):
 * a merge of the parts' sorted lists, linear in their length (no sort on the serving thread).
 */
export function mergeReplayTuples(parts: readonly ReplayTuple[][]): ReplayTuple[] {
  if (parts.length === 1) return parts[0] ?? [];
  const at = parts.map(() => 0);
  const out: ReplayTuple[] = [];
  for (;;) {
    // The part whose next tuple comes first (parts are few: a scan of their heads).
    let next = -1;
    for (let p = 0; p < parts.length; p++) {
      const t = parts[p]?.[at[p] as number];
      if (t && (next < 0 || compareTuples(t, parts[next]?.[at[next] as number] as ReplayTuple) < 0)) next = p;
    }
    if (next < 0) return out;
    const t = parts[next]?.[at[next] as number] as ReplayTuple;
    at[next] = (at[next] as number) + 1;
    const last = out[out.length - 1];
    if (!last || compareTuples(last, t)) {
      out.push({ ...t });
      continue;
    }
    last.n += t.n;
    last.first_id = Math.min(last.first_id, t.first_id);
    last.last_id = Math.max(last.last_id, t.last_id);
    // MIN ignores NULL.
    if (t.tenant !== null && (last.tenant === null || compareSqlText(t.tenant, last.tenant) < 0))
      last.tenant = t.tenant;
  }
}
