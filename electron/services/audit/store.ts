import type { SQLInputValue, StatementSync } from 'node:sqlite';
import {
  AuditFacetName,
  AuditOutcome as AuditOutcomeEnum,
  type AuditEvent,
  type AuditExclude,
  type AuditEventDraft,
  type AuditFilter,
  type AuditHistogram,
  type AuditOrder,
  type AuditPage,
  type AuditOutcome,
  type AuditSourceKind,
  type AuditTrashBatch,
  type FacetCount,
} from '../../../shared/model/audit.js';
import { AdminError } from '../../../shared/api/errors.js';
import type { Database } from '../store/database.js';
import { maskAuditField, rejectionReason } from './mask.js';
import { dedupeUid, storedOriginal } from './original.js';
import { replayPlan, replayTuples, type ReplayPlan, type ReplaySlice, type ReplayTuple } from './replay.js';
import { canonicalIsoMillis } from './sources/common.js';
import { catchUpSearch, catchUpSearchSync, markSearchPending, searchState, writeLockGap } from './search-catchup.js';
import { BUCKET_STEPS, FACET_COLUMN, FACET_FILTER_FIELD, LIST_COLUMN, type AuditEventColumns } from './columns.js';

/**
 * A record as it is stored: every string field a source mapped from the record (ids, subject,
 * tenant, address, method, server, tool, prompt, resource, reason, error type) masked with the
 * audit masker and capped, and the original masked and serialized. Sealing happens once, before
 * anything is written, so the event row, the full-text index, the facet rollups and everything read
 * back from them (queries, facets, exports, CLI) only ever see the masked values.
 */
export interface SealedEvent {
  event: AuditEventDraft;
  original: string;
}

const MASKED_FIELDS = [
  'sourceRecordId',
  'tenant',
  'user.id',
  'client',
  'client.address',
  'mcp.method.name',
  'server',
  'gen_ai.tool.name',
  'gen_ai.prompt.name',
  'mcp.resource.uri',
  'reason',
  'error.type',
  'jsonrpc.request.id',
  'mcp.session.id',
] as const satisfies readonly (keyof AuditEventDraft)[];

export function sealEvent(draft: AuditEventDraft): SealedEvent {
  const event = { ...draft, original: null };
  for (const f of MASKED_FIELDS) event[f] = maskAuditField(draft[f]);
  return { event, original: storedOriginal(draft.original) };
}

/** A normalized record ready to store: the draft (unmasked; sealEvent masks it) and its dedupe key. */
export interface IngestRecord {
  event: AuditEventDraft;
  /** Source record id, or the record's canonical content: hashed into the unique uid. */
  key: string;
}

/**
 * A sealed record as bound to the event INSERT, in its column order: uid, ts, source, source_kind,
 * source_record_id, tenant, user_id, client, client_address, method, server, tool, prompt,
 * resource_uri, outcome, reason, error_type, duration_ms, request_id, session_id, original. Every
 * string in it is masked (sealEvent).
 */
export type SealedRow = [bigint, number, ...(string | number | null)[]];
/** Positions in a SealedRow (rollup dimensions and numbers). */
export const ROW = {
  source: 2,
  tenant: 5,
  client: 7,
  method: 9,
  server: 10,
  tool: 11,
  outcome: 14,
  durationMs: 17,
  original: 20,
} as const;

/** A record masked, serialized and hashed into its row (throws for a record that cannot be stored). */
export function sealRecord(r: IngestRecord): SealedRow {
  const { event: e, original } = sealEvent(r.event);
  // Sources hand over canonical ISO (isoTime): read without the general date parser.
  const fast = canonicalIsoMillis(e.time);
  const ts = fast === fast ? fast : Date.parse(e.time);
  if (!Number.isFinite(ts)) throw new RangeError('time');
  return [
    dedupeUid(e.sourceKind, r.key),
    ts,
    e.source,
    e.sourceKind,
    e.sourceRecordId,
    e.tenant,
    e['user.id'],
    e.client,
    e['client.address'],
    e['mcp.method.name'],
    e.server,
    e['gen_ai.tool.name'],
    e['gen_ai.prompt.name'],
    e['mcp.resource.uri'],
    e.outcome,
    e.reason,
    e['error.type'],
    e.durationMs,
    e['jsonrpc.request.id'],
    e['mcp.session.id'],
    original,
  ];
}

interface EventRow extends AuditEventColumns {
  id: number;
  ts: number;
  source_kind: string;
  outcome: string;
}

/** Event columns copied to and from the trash (besides id and uid). */
const TRASH_COLS =
  'ts, source, source_kind, source_record_id, tenant, user_id, client, client_address, method, server, tool, prompt, resource_uri, outcome, reason, error_type, duration_ms, request_id, session_id, original';
/** Events past retention; Gatehouse's own actions are never deleted. */
const RETENTION_COND = "ts < ? AND source_kind != 'gatehouse'";
/** Days a deletion stays in the trash, restorable. */
export const AUDIT_TRASH_DAYS = 14;
export type TrashDetail = AuditTrashBatch['detail'];

const EVENT_COLS =
  'id, ts, source, source_kind, source_record_id, tenant, user_id, client, client_address, method, server, tool, prompt, resource_uri, outcome, reason, error_type, duration_ms, request_id, session_id, original';

export function parseTime(iso: string, what: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new AdminError('bad-request', `${what}: not a date/time: "${iso}"`);
  return t;
}

/** User text → a safe FTS5 query: each whitespace-separated word becomes a quoted prefix term. */
export function ftsQuery(text: string): string | null {
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/"/g, ''))
    .filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (!words.length) return null;
  // detail=none indexes no positions: a word with punctuation (an e-mail, a path) becomes the AND of
  // its tokens; the last token of each word matches as a prefix.
  const terms: string[] = [];
  for (const w of words) {
    const toks = w.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    toks.forEach((t, i) => terms.push(i === toks.length - 1 ? `"${t}"*` : `"${t}"`));
  }
  return terms.join(' AND ');
}

export function encodeCursor(ts: number, id: number): string {
  return `${ts}:${id}`;
}
function decodeCursor(cursor: string): { ts: number; id: number } {
  const m = /^(-?\d+):(\d+)$/.exec(cursor);
  if (!m) throw new AdminError('bad-request', 'invalid cursor');
  return { ts: Number(m[1]), id: Number(m[2]) };
}

const INSERT_COLS = 21;
/** The searchable text of an event, from its row (the same expression as migration 302's backfill). */
const FTS_BODY_SQL = `concat_ws(' ', tenant, user_id, client, method, server, tool, prompt, resource_uri, reason, error_type,
  session_id, source_record_id)`;
/**
 * Records per ingest transaction (file import, pulls, benchmark). Each commit rewrites every index
 * leaf page it touched (thousands: one per user, tool, server… value), so larger batches write far
 * fewer pages per event; a crash re-reads at most one batch (deduplicated).
 */
export const AUDIT_INGEST_BATCH = 10_000;
/**
 * The per-column indexes, as migration 303 defines them (keep in step with the latest migration that
 * touches them). A bulk load drops them and builds them once afterwards, in this order: the subject
 * facet is counted from the user index (facets over 1M events: ~1.4 s without it, ~0.12 s with it),
 * then the tenant one serves facets filtered by tenant, and user + client the subject filter.
 */
export const COLUMN_INDEXES: readonly (readonly [string, string])[] = [
  ['audit_events_user', 'user_id, ts, outcome'],
  ['audit_events_tenant', 'tenant, ts, outcome'],
  ['audit_events_client', 'client, ts, outcome'],
  ['audit_events_tool', 'tool, ts, outcome'],
  ['audit_events_server', 'server, ts, outcome'],
];
/** The page cache during a bulk load (PRAGMA cache_size: negative is KiB). */
const BULK_CACHE_SIZE = -8192;
/** A bulk load pays off from this many new events, when they at least match the events stored. */
const BULK_MIN_EVENTS = 50_000;
/** A bulk-load mark older than this is stale (its process died and the pid may be reused). */
const BULK_MARK_TTL_MS = 3_600_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** An FTS query matching more rows than this is walked in time order (see where()). */
const COMMON_TERM = 3000;
/** Facet counting in one pass when at most this many events match. */
const SINGLE_PASS_MAX = 200_000;
const DAY_MS = 86_400_000;
/** Facets kept in the per-day rollup (subject is high-cardinality: counted from its index). */
const ROLLUP_DIMS = ['tenant', 'client', 'server', 'tool', 'method', 'source'] as const;
type RollupDim = (typeof ROLLUP_DIMS)[number];

/** Each rollup dimension's position in a SealedRow (in ROLLUP_DIMS order). */
const DIM_COLUMN: readonly number[] = ROLLUP_DIMS.map((d) => ROW[d]);

/**
 * Counts per minute × outcome (histogram, totals) and per day × facet value × outcome (facets),
 * aggregated in memory per batch and upserted in the batch's transaction.
 */
class Rollup {
  /** minute → outcome → n */
  private readonly minutes = new Map<number, Map<string, number>>();
  /** day → per ROLLUP_DIMS index: value → outcome → n (nested maps: no key strings built per event). */
  private readonly days = new Map<number, Map<string, Map<string, number>>[]>();

  add(row: SealedRow): void {
    const ts = row[1];
    const outcome = row[ROW.outcome] as string;
    const minute = Math.floor(ts / MINUTE);
    let m = this.minutes.get(minute);
    if (!m) this.minutes.set(minute, (m = new Map()));
    m.set(outcome, (m.get(outcome) ?? 0) + 1);
    const day = Math.floor(ts / DAY_MS);
    let dims = this.days.get(day);
    if (!dims) this.days.set(day, (dims = ROLLUP_DIMS.map(() => new Map())));
    for (let i = 0; i < ROLLUP_DIMS.length; i++) {
      const values = dims[i] as Map<string, Map<string, number>>;
      const v = (row[DIM_COLUMN[i] as number] as string | null) ?? '';
      let o = values.get(v);
      if (!o) values.set(v, (o = new Map()));
      o.set(outcome, (o.get(outcome) ?? 0) + 1);
    }
  }

  flush(prep: (sql: string) => StatementSync): void {
    const minute = prep(
      'INSERT INTO audit_minutes (minute, outcome, n) VALUES (?, ?, ?) ON CONFLICT (minute, outcome) DO UPDATE SET n = n + excluded.n',
    );
    for (const [m, outcomes] of this.minutes) for (const [outcome, n] of outcomes) minute.run(m, outcome, n);
    // Hours (migration 308) from the batch's minutes: a few rows per batch, nothing per event.
    const hours = new Map<number, Map<string, number>>();
    for (const [m, outcomes] of this.minutes) {
      const h = Math.floor(m / 60);
      let o = hours.get(h);
      if (!o) hours.set(h, (o = new Map()));
      for (const [outcome, n] of outcomes) o.set(outcome, (o.get(outcome) ?? 0) + n);
    }
    const hour = prep(
      'INSERT INTO audit_hours (hour, outcome, n) VALUES (?, ?, ?) ON CONFLICT (hour, outcome) DO UPDATE SET n = n + excluded.n',
    );
    for (const [h, outcomes] of hours) for (const [outcome, n] of outcomes) hour.run(h, outcome, n);
    const day = prep(
      `INSERT INTO audit_facet_days (dim, day, value, outcome, n) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dim, day, value, outcome) DO UPDATE SET n = n + excluded.n`,
    );
    for (const [d, dims] of this.days) {
      dims.forEach((values, i) => {
        for (const [value, outcomes] of values)
          for (const [outcome, n] of outcomes) day.run(ROLLUP_DIMS[i] as string, d, value, outcome, n);
      });
    }
    this.minutes.clear();
    this.days.clear();
  }
}

/** Filter fields other than these rule out the rollups (call on a normalized filter). */
function onlyTimeAndOutcome(filter: AuditFilter, omit?: keyof AuditFilter): boolean {
  return Object.entries(filter).every(
    ([k, v]) =>
      k === omit ||
      v === undefined ||
      k === 'since' ||
      k === 'until' ||
      k === 'outcome' ||
      (Array.isArray(v) && !v.length) ||
      (k === 'exclude' && !hasExclusions(v as AuditExclude)) ||
      (k === 'text' && !ftsQuery(String(v))),
  );
}

/**
 * The one rolled-up dimension a normalized filter selects values of (at most an outcome list
 * besides, no time range), else null: its count and outcome counts come from the day rollup.
 */
function singleDimScope(filter: AuditFilter): { dim: RollupDim; values: readonly string[] } | null {
  if (filter.since !== undefined || filter.until !== undefined) return null;
  const dims = ROLLUP_DIMS.filter((d) => (filter[d] as readonly string[] | undefined)?.length);
  const dim = dims[0];
  if (dims.length !== 1 || !dim) return null;
  const values = filter[dim] as readonly string[];
  // The rollup stores a missing value as '' (an include list never matches a missing value).
  if (values.includes('')) return null;
  return onlyTimeAndOutcome(filter, dim) ? { dim, values } : null;
}

const marks = (n: number) => new Array<string>(n).fill('?').join(', ');

/** Whether a rollup answers a facet under a normalized filter (else it is counted from the events). */
function rollupServes(f: AuditFilter, name: AuditFacetName): boolean {
  const rolled = onlyTimeAndOutcome(f) && f.since === undefined && f.until === undefined;
  if (name === 'outcome') return rolled || !!singleDimScope(f);
  return rolled && (ROLLUP_DIMS as readonly string[]).includes(name);
}

/**
 * Facets counted together: those with no selection of their own share the whole filter; the others
 * each drop their own selection (included and excluded values).
 */
function facetGroups(
  filter: AuditFilter,
  names: readonly AuditFacetName[],
): { names: AuditFacetName[]; filter: AuditFilter }[] {
  const own = (n: AuditFacetName) => FACET_FILTER_FIELD[n];
  const selects = (n: AuditFacetName) =>
    !!(filter[own(n)] as unknown[] | undefined)?.length || !!filter.exclude?.[own(n) as ExcludeField]?.length;
  const groups: { names: AuditFacetName[]; filter: AuditFilter }[] = [];
  const shared = names.filter((n) => !selects(n));
  if (shared.length) groups.push({ names: shared, filter });
  for (const n of names) if (selects(n)) groups.push({ names: [n], filter: omitField(filter, own(n)) });
  return groups;
}

/** Filter list fields with an index of their own (column, ts, outcome). */
const INDEXED_FIELDS = ['tenant', 'user', 'client', 'server', 'tool'] as const;

type ListField = keyof typeof LIST_COLUMN;
type ExcludeField = keyof AuditExclude;

function hasExclusions(x: AuditExclude | undefined): boolean {
  return !!x && Object.values(x).some((v) => Array.isArray(v) && v.length > 0);
}

/** The filter without one field's selection, included or excluded (a facet ignores its own). */
export function omitField(filter: AuditFilter, field: keyof AuditFilter): AuditFilter {
  const out: AuditFilter = { ...filter };
  delete out[field];
  if (out.exclude && field in out.exclude) {
    const x: AuditExclude = { ...out.exclude };
    delete x[field as ExcludeField];
    out.exclude = x;
  }
  return out;
}

/**
 * A filter with its exclusions folded where they are implied: an excluded value is taken out of the
 * same field's include list (which already leaves out events with no value), and excluded outcomes
 * become the list of the other outcomes (a closed set), so the rollups and indexes still serve them.
 * What is left in `exclude` is on fields without an include list (subject aside). `empty` when the
 * filter can match nothing (every listed value excluded).
 */
export function normalizeFilter(filter: AuditFilter): { filter: AuditFilter; empty: boolean } {
  const x = filter.exclude;
  if (!hasExclusions(x) || !x) {
    const out = { ...filter };
    delete out.exclude;
    return { filter: out, empty: false };
  }
  const out: AuditFilter = { ...filter };
  const rest: AuditExclude = {};
  let empty = false;
  for (const [field, values] of Object.entries(x) as [ExcludeField, string[] | undefined][]) {
    if (!values?.length) continue;
    if (field === 'subject') {
      rest.subject = values;
      continue;
    }
    const inc = out[field as ListField] as string[] | undefined;
    if (inc?.length) {
      const kept = inc.filter((v) => !values.includes(v));
      if (!kept.length) empty = true;
      (out as Record<string, unknown>)[field] = kept;
    } else if (field === 'outcome') {
      const kept = AuditOutcomeEnum.options.filter((o) => !values.includes(o));
      if (!kept.length) empty = true;
      out.outcome = kept;
    } else {
      (rest as Record<string, string[]>)[field] = values;
    }
  }
  if (hasExclusions(rest)) out.exclude = rest;
  else delete out.exclude;
  return { filter: out, empty };
}

/**
 * Splits off one exclusion for counting by difference: count(F and not X∈V) = count(F) − count(F
 * and X∈V). Both sides are include filters the indexes and rollups serve, where a NOT IN would scan
 * every event. Null when nothing (or only a subject with its own include list) is excluded.
 */
function splitExclusion(filter: AuditFilter): { without: AuditFilter; only: AuditFilter } | null {
  const x = filter.exclude;
  if (!x) return null;
  for (const [field, values] of Object.entries(x) as [ExcludeField, string[] | undefined][]) {
    if (!values?.length) continue;
    if (field === 'subject' && filter.subject?.length) continue;
    const without = omitExclusion(filter, field);
    return { without, only: { ...without, [field]: values } };
  }
  return null;
}

function omitExclusion(filter: AuditFilter, field: ExcludeField): AuditFilter {
  const x: AuditExclude = { ...filter.exclude };
  delete x[field];
  const out: AuditFilter = { ...filter, exclude: x };
  if (!hasExclusions(x)) delete out.exclude;
  return out;
}

/** Outcomes a normalized filter allows (null: all). */
function outcomesOf(filter: AuditFilter): readonly AuditOutcome[] | null {
  return filter.outcome?.length ? filter.outcome : null;
}

/** The most frequent values first (ties by value, none first), at most `limit`. */
export function topValues(counts: Map<string | null, number>, limit: number): FacetCount[] {
  return [...counts]
    .filter(([, count]) => count > 0)
    .map(([value, count]) => ({ value, count }))
    .sort(
      (a, b) =>
        b.count - a.count ||
        (a.value === b.value ? 0 : a.value === null ? -1 : b.value === null ? 1 : a.value < b.value ? -1 : 1),
    )
    .slice(0, limit);
}

function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The audit event store: batched idempotent inserts; every filter and aggregate runs in SQLite. */
/** Paging options of a timeline query (the local and the team timeline take the same). */
export interface AuditQueryOptions {
  cursor?: string | null;
  limit: number;
  withTotal?: boolean;
  order?: AuditOrder;
  direction?: 'next' | 'prev';
  at?: string;
}

export class AuditStore {
  private readonly stmtCache = new Map<string, StatementSync>();
  private readonly termCache = new Map<string, { common: boolean; at: number }>();

  /** Takes a turn for one long write transaction (write-turns.ts); resolves with its release. */
  private readonly longWrite: (() => Promise<() => void>) | undefined;

  constructor(
    readonly db: Database,
    opts: {
      readOnly?: boolean;
      /**
       * An ingest worker's store: its long write transactions (index builds, full-text chunks) wait
       * for the serving thread's admin actions (write-turns.ts).
       */
      longWrite?: () => Promise<() => void>;
    } = {},
  ) {
    this.longWrite = opts.longWrite;
    // A larger page cache keeps the event indexes' hot pages in memory at millions of rows (32 MB).
    db.exec('PRAGMA cache_size = -32768');
    // A bulk load that did not finish (killed) leaves its indexes dropped: build them now, unless
    // another live process is bulk loading (it builds them when done; building now would hold the write
    // lock for seconds between its batches). A read-only store (query worker) never repairs; an ingest
    // worker's store repairs in turns (repair()), not in one blocking pass here.
    if (!opts.readOnly && !opts.longWrite && !this.bulkLoadElsewhere()) {
      this.ensureIndexes();
      catchUpSearchSync(db);
    }
  }

  /**
   * The constructor's repair for an ingest worker's store (after an earlier worker stopped mid-bulk):
   * each index build and full-text chunk in its own transaction and turn, as after a bulk load, so
   * the serving thread's writes never wait seconds behind the whole repair.
   */
  async repair(): Promise<void> {
    // (Nothing to repair, the usual case: no turn taken. A mark with this process's pid is a dead
    // earlier worker's: syncs run one at a time per process, and a stopped worker is terminated.)
    if ((!this.missingIndexes().length && searchState(this.db) === 'ready') || this.bulkLoadElsewhere()) return;
    await this.buildIndexes();
    await catchUpSearch(this.db, this.longWrite);
  }

  private bulkLoadElsewhere(): boolean {
    const row = this.db.prepare("SELECT value_json FROM audit_settings WHERE key = 'bulkLoad'").get() as
      { value_json: string } | undefined;
    if (!row) return false;
    let mark: { pid?: unknown; at?: unknown };
    try {
      mark = JSON.parse(row.value_json) as { pid?: unknown; at?: unknown };
    } catch {
      return false;
    }
    if (typeof mark.pid !== 'number' || mark.pid === process.pid) return false;
    if (typeof mark.at !== 'string' || !(Date.now() - Date.parse(mark.at) < BULK_MARK_TTL_MS)) return false;
    try {
      process.kill(mark.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /** Creates any missing per-column index (normally none: a no-op). */
  ensureIndexes(): void {
    while (this.buildNextIndex());
  }

  /**
   * The same, one index per transaction with the event loop served in between: after a bulk load of
   * 1M events each index takes a second or two to build, and facets, the histogram and other
   * requests of the serving process answer between them instead of waiting for all five.
   */
  private async buildIndexes(): Promise<void> {
    for (;;) {
      const release = await this.longWrite?.();
      let more: boolean;
      try {
        more = this.buildNextIndex();
      } finally {
        release?.();
      }
      if (!more) return;
      await writeLockGap(!!this.longWrite);
    }
  }

  private missingIndexes(): (readonly [string, string])[] {
    const have = new Set(
      (
        this.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_events'").all() as {
          name: string;
        }[]
      ).map((r) => r.name),
    );
    return COLUMN_INDEXES.filter(([name]) => !have.has(name));
  }

  /**
   * Builds one missing per-column index in its own transaction; the last one also removes the
   * bulk-load mark. False when none was missing. A crash between two leaves the mark and the indexes
   * still missing, which the next open builds.
   */
  private buildNextIndex(): boolean {
    // Normally none is missing: no write lock taken for that.
    if (!this.missingIndexes().length) return false;
    // The index sorts may use a helper thread.
    this.db.exec('PRAGMA threads = 2');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const missing = this.missingIndexes();
      const next = missing[0];
      if (next) this.db.exec(`CREATE INDEX IF NOT EXISTS ${next[0]} ON audit_events (${next[1]})`);
      if (missing.length <= 1) this.db.exec("DELETE FROM audit_settings WHERE key = 'bulkLoad'");
      this.db.exec('COMMIT');
      return !!next;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * Runs a large import (`fn`, any number of insertBatch calls). When about `expected` new events
   * are many and at least as many as those stored, the per-column indexes are dropped first and built
   * once afterwards: one sorted build instead of a b-tree insert per event per index. Dedupe (the
   * unique index), full-text rows, rollups and the per-batch cursor commits are unchanged, so a crash
   * mid-way leaves consistent data whose missing indexes are built when the store is next opened.
   * Meanwhile queries stay correct, only filters on those columns are slower.
   */
  async bulk<T>(expected: number, fn: () => Promise<T>, minEvents = BULK_MIN_EVENTS): Promise<T> {
    const stored = (this.prep('SELECT COALESCE(SUM(n), 0) AS n FROM audit_minutes').get() as { n: number }).n;
    if (expected < minEvents || expected < stored) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const [name] of COLUMN_INDEXES) this.db.exec(`DROP INDEX IF EXISTS ${name}`);
      this.db
        .prepare(
          "INSERT INTO audit_settings (key, value_json) VALUES ('bulkLoad', ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
        )
        .run(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      // Full-text rows too are added in bulk afterwards; search reports "catching-up" until then.
      markSearchPending(
        this.db,
        (this.prep('SELECT COALESCE(MAX(id), 0) AS m FROM audit_events').get() as { m: number }).m,
      );
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    // Statements prepared against the dropped indexes are re-planned by SQLite on their next run.
    // A small page cache meanwhile: appends and the time-ordered dedupe index need few hot pages, and
    // the 32 MB one filled with pages written once kept the load ~25 MB over its RSS target (1M
    // events: 261 -> 239 MB peak; CPU unchanged within noise).
    const cache = (this.db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
    this.db.exec(`PRAGMA cache_size = ${BULK_CACHE_SIZE}`);
    this.bulkDepth++;
    try {
      return await fn();
    } finally {
      this.bulkDepth--;
      try {
        await this.buildIndexes();
        await catchUpSearch(this.db, this.longWrite);
      } finally {
        this.db.exec(`PRAGMA cache_size = ${cache}`);
      }
    }
  }

  private bulkDepth = 0;
  /** Inside bulk()'s load on the bulk path: its indexes are built when the load returns. */
  get bulkLoading(): boolean {
    return this.bulkDepth > 0;
  }

  private prep(sql: string): StatementSync {
    let s = this.stmtCache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmtCache.set(sql, s);
    }
    return s;
  }

  /**
   * Inserts records in one transaction (duplicates by (ts, outcome, uid) are skipped, also within the batch).
   * `inTransaction` runs inside the same transaction after the inserts, e.g. to advance the source's
   * cursor, so the cursor and the events it covers commit or roll back together.
   */
  insertBatch(
    records: Iterable<IngestRecord>,
    inTransaction?: (counts: { imported: number; duplicates: number }) => void,
    onBadRecord?: (record: IngestRecord, reason: string) => void,
  ): { imported: number; duplicates: number; rejected: number } {
    let rejected = 0;
    // One record that cannot be sealed (too deep, too large, a masker failure) is rejected on its
    // own: the rest of the batch is stored.
    function* sealed(): Generator<SealedRow> {
      for (const r of records) {
        let row: SealedRow;
        try {
          row = sealRecord(r);
        } catch (err) {
          rejected++;
          onBadRecord?.(r, rejectionReason(err));
          continue;
        }
        yield row;
      }
    }
    const counts = this.insertSealed(sealed(), inTransaction);
    return { ...counts, rejected };
  }

  /**
   * insertBatch's transaction over sealed rows (sealRecord: masked, serialized, hashed): duplicates
   * skipped, rollups and (when search is not catching up) full-text rows added, `inTransaction` run
   * before the commit.
   */
  private insertSealed(
    rows: Iterable<SealedRow>,
    inTransaction?: (counts: { imported: number; duplicates: number }) => void,
  ): { imported: number; duplicates: number } {
    let imported = 0;
    let seen = 0;
    const rollup = new Rollup();
    // WAL + synchronous=NORMAL for the ingest transaction: commits are still atomic and a crash
    // (killed process) loses nothing committed; only a power loss/OS crash may drop the last commits,
    // and then their cursor rolls back with them (the source is re-read, deduplicated).
    const sync = (this.db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    if (sync > 1) this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const ins = this.prep(
        `INSERT INTO audit_events (uid, ts, source, source_kind, source_record_id, tenant, user_id, client, client_address,
           method, server, tool, prompt, resource_uri, outcome, reason, error_type, duration_ms, request_id, session_id, original)
         VALUES (${new Array(INSERT_COLS).fill('?').join(', ')}) ON CONFLICT (ts, outcome, uid) DO NOTHING`,
      );
      // New rows get ids above the current maximum: the batch's full-text rows are added in one
      // statement after the inserts (same transaction), with no per-event round trip.
      const maxId = (this.prep('SELECT COALESCE(MAX(id), 0) AS m FROM audit_events').get() as { m: number }).m;
      for (const row of rows) {
        seen++;
        if (ins.run(...row).changes === 0) continue;
        imported++;
        rollup.add(row);
      }
      // While a bulk load's full-text rows are pending (in any process), the catch-up indexes these too.
      if (imported && searchState(this.db) === 'ready') {
        this.prep(`INSERT INTO audit_fts (rowid, body) SELECT id, ${FTS_BODY_SQL} FROM audit_events WHERE id > ?`).run(
          maxId,
        );
      }
      rollup.flush((sql) => this.prep(sql));
      const counts = { imported, duplicates: seen - imported };
      inTransaction?.(counts);
      this.db.exec('COMMIT');
      return counts;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    } finally {
      if (sync > 1) this.db.exec(`PRAGMA synchronous = ${sync}`);
    }
  }

  /** A policy simulation's replay of the range in `of` parts (replay.ts): its count and slices. */
  replayPlan(range: { since?: string; until?: string }, of: number): ReplayPlan {
    return replayPlan(
      this.db,
      {
        since: range.since === undefined ? undefined : parseTime(range.since, 'since'),
        until: range.until === undefined ? undefined : parseTime(range.until, 'until'),
      },
      of,
    );
  }

  /** Distinct replayable calls of `methods` in one slice of a replay plan. */
  replayTuples(slice: ReplaySlice, methods: readonly string[]): ReplayTuple[] {
    return replayTuples(this.db, slice, methods);
  }

  /** WHERE clause for a filter; `omit` drops one field (a facet ignores its own selection). */
  private where(
    filter: AuditFilter,
    omit?: keyof AuditFilter,
    forPage = false,
  ): { sql: string; params: SQLInputValue[] } {
    const parts: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.since !== undefined && omit !== 'since') {
      parts.push('ts >= ?');
      params.push(parseTime(filter.since, 'since'));
    }
    if (filter.until !== undefined && omit !== 'until') {
      parts.push('ts < ?');
      params.push(parseTime(filter.until, 'until'));
    }
    for (const [field, col] of Object.entries(LIST_COLUMN) as [keyof typeof LIST_COLUMN, string][]) {
      const values = filter[field];
      if (!values?.length || omit === field) continue;
      parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    }
    if (filter.subject?.length && omit !== 'subject') {
      const q = filter.subject.map(() => '?').join(', ');
      parts.push(`(user_id IN (${q}) OR client IN (${q}))`);
      params.push(...filter.subject, ...filter.subject);
    }
    // Exclusions keep events with no value for the field ("not tenant=a" keeps events without a tenant).
    const x = filter.exclude ?? {};
    for (const [field, col] of Object.entries(LIST_COLUMN) as [ListField, string][]) {
      const values = x[field];
      if (!values?.length || omit === field) continue;
      parts.push(`(${col} IS NULL OR ${col} NOT IN (${values.map(() => '?').join(', ')}))`);
      params.push(...values);
    }
    if (x.subject?.length && omit !== 'subject') {
      const q = x.subject.map(() => '?').join(', ');
      parts.push(`(user_id IS NULL OR user_id NOT IN (${q})) AND (client IS NULL OR client NOT IN (${q}))`);
      params.push(...x.subject, ...x.subject);
    }
    if (filter.text !== undefined && omit !== 'text') {
      const q = ftsQuery(filter.text);
      if (q) {
        // A common term matches many rows: then walking newest-first and probing the match set beats
        // sorting every match (`+id` keeps the planner off the FTS-first plan); a rare term goes FTS-first.
        parts.push(
          `${forPage && this.commonTerm(q) ? '+id' : 'id'} IN (SELECT rowid FROM audit_fts WHERE audit_fts MATCH ?)`,
        );
        params.push(q);
      }
    }
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  /**
   * Whether an FTS query matches more than COMMON_TERM rows (bounded count, 3-5 ms for a common
   * term at 1M events; cached for a minute: it only picks the plan, never changes the answer).
   */
  private commonTerm(q: string): boolean {
    const hit = this.termCache.get(q);
    if (hit && hit.at > Date.now() - 60_000) return hit.common;
    const n = (
      this.prep(
        `SELECT COUNT(*) AS n FROM (SELECT rowid FROM audit_fts WHERE audit_fts MATCH ? LIMIT ${COMMON_TERM + 1})`,
      ).get(q) as { n: number }
    ).n;
    if (this.termCache.size > 100) this.termCache.clear();
    this.termCache.set(q, { common: n > COMMON_TERM, at: Date.now() });
    return n > COMMON_TERM;
  }

  count(input: AuditFilter): number {
    const { filter, empty } = normalizeFilter(input);
    if (empty) return 0;
    return this.countNormalized(filter);
  }

  private countNormalized(filter: AuditFilter): number {
    const split = splitExclusion(filter);
    if (split) return this.countNormalized(split.without) - this.countNormalized(split.only);
    if (onlyTimeAndOutcome(filter) && filter.since === undefined && filter.until === undefined) {
      const o = outcomesOf(filter);
      const r = this.prep(
        `SELECT COALESCE(SUM(n), 0) AS n FROM audit_minutes${o ? ` WHERE outcome IN (${o.map(() => '?').join(', ')})` : ''}`,
      ).get(...(o ?? [])) as { n: number };
      return r.n;
    }
    const scope = singleDimScope(filter);
    if (scope) {
      const o = outcomesOf(filter);
      return (
        this.prep(
          `SELECT COALESCE(SUM(n), 0) AS n FROM audit_facet_days WHERE dim = ? AND value IN (${marks(scope.values.length)})${o ? ` AND outcome IN (${marks(o.length)})` : ''}`,
        ).get(scope.dim, ...scope.values, ...(o ?? [])) as { n: number }
      ).n;
    }
    const w = this.where(filter);
    return (this.prep(`SELECT COUNT(*) AS n FROM audit_events ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  /**
   * One page in time order (newest or oldest first); keyset on (ts, id). A page starts after
   * `cursor` (`direction: 'next'`), before it (`'prev'`, back towards the list's start), at a time
   * (`at`: the first event at or before it newest first, at or after it oldest first), or at the
   * list's start. Pages reached by a cursor or a time carry a `prevCursor` when events precede them.
   */
  query(input: AuditFilter, opts: AuditQueryOptions): AuditPage {
    const { filter, empty } = normalizeFilter(input);
    if (empty) return { events: [], nextCursor: null, prevCursor: null, total: opts.withTotal ? 0 : null };
    const order = opts.order ?? 'newest';
    const back = opts.direction === 'prev' && !!opts.cursor;
    // Rows are read in the list's order, or reversed when paging back (then flipped again below).
    const desc = (order === 'newest') !== back;
    const w = this.where(filter, undefined, true);
    let sql = w.sql;
    const params = [...w.params];
    const and = (cond: string, ...p: SQLInputValue[]) => {
      sql += `${sql ? ' AND' : 'WHERE'} ${cond}`;
      params.push(...p);
    };
    // The keyset boundary the page starts after: the cursor, or the jump time (before every id at
    // that millisecond when oldest first, after every one when newest first).
    const atMs = opts.at !== undefined ? parseTime(opts.at, 'at') : null;
    const boundary = opts.cursor
      ? decodeCursor(opts.cursor)
      : atMs !== null
        ? { ts: atMs, id: order === 'newest' ? Number.MAX_SAFE_INTEGER : 0 }
        : null;
    // `ts <= ? AND (…)` rather than a bare OR: the planner gets a range on the time index.
    const after = (d: boolean) => (d ? 'ts <= ? AND (ts < ? OR id < ?)' : 'ts >= ? AND (ts > ? OR id > ?)');
    if (boundary) and(after(desc), boundary.ts, boundary.ts, boundary.id);
    const dir = desc ? 'DESC' : 'ASC';
    const rows = this.prep(`SELECT ${EVENT_COLS} FROM audit_events ${sql} ORDER BY ts ${dir}, id ${dir} LIMIT ?`).all(
      ...params,
      opts.limit + 1,
    ) as unknown as EventRow[];
    const more = rows.length > opts.limit;
    const page = more ? rows.slice(0, opts.limit) : rows;
    if (back) page.reverse();
    const first = page[0];
    const last = page[page.length - 1];
    let nextCursor: string | null;
    let prevCursor: string | null = null;
    if (back) {
      // Paging back from a cursor: the cursor's side follows this page; `more` rows precede it.
      prevCursor = more && first ? encodeCursor(first.ts, first.id) : null;
      nextCursor = last ? encodeCursor(last.ts, last.id) : (opts.cursor ?? null);
    } else {
      nextCursor = more && last ? encodeCursor(last.ts, last.id) : null;
      if (boundary) {
        // Is there an event before this page (in list order)? One index probe from its first event
        // (or from the boundary when the page is empty).
        const b = first ?? boundary;
        const probe = this.prep(
          `SELECT 1 AS x FROM audit_events ${w.sql}${w.sql ? ' AND' : 'WHERE'} ${after(!desc)} LIMIT 1`,
        ).get(...w.params, b.ts, b.ts, b.id);
        if (probe) prevCursor = encodeCursor(b.ts, b.id);
      }
    }
    return {
      events: page.map(rowToEvent),
      nextCursor,
      prevCursor,
      total: opts.withTotal ? this.countNormalized(filter) : null,
    };
  }

  get(id: string): AuditEvent | null {
    if (!/^\d+$/.test(id)) return null;
    const row = this.prep(`SELECT ${EVENT_COLS} FROM audit_events WHERE id = ?`).get(Number(id)) as
      EventRow | undefined;
    return row ? rowToEvent(row) : null;
  }

  /**
   * Whether facets or a histogram of this filter read at most `cap` events (the rest comes from
   * rollups), judged from at most a few bounded index counts (each ≤ cap + 1 entries), so the query
   * pool can run a query it has no cost for yet on its quick lane. False when no index bounds it.
   */
  fitsBudget(
    name: 'facets' | 'histogram',
    input: AuditFilter,
    cap: number,
    names: readonly AuditFacetName[] = AuditFacetName.options,
  ): boolean {
    const groups =
      name === 'histogram'
        ? [{ filter: input, events: (f: AuditFilter) => !onlyTimeAndOutcome(f) }]
        : facetGroups(input, names).map((g) => ({
            filter: g.filter,
            events: (f: AuditFilter) => g.names.some((n) => !rollupServes(f, n)),
          }));
    // While a bulk load's indexes are still being built, the probe's counts would scan: not quick.
    if (this.missingIndexes().length) return false;
    let total = 0;
    // As the counting goes: an exclusion is counted by difference (both sides), the rest from rollups
    // or from the matching events.
    const read = (f: AuditFilter, events: (f: AuditFilter) => boolean): boolean => {
      const split = splitExclusion(f);
      if (split) return read(split.without, events) && read(split.only, events);
      if (!events(f)) return true;
      // (what is left excluded narrows the events read: the filter without it bounds them)
      const superset: AuditFilter = { ...f };
      delete superset.exclude;
      const n = this.boundedMatches(superset, cap - total);
      if (n === null) return false;
      total += n;
      return total <= cap;
    };
    for (const g of groups) {
      const { filter, empty } = normalizeFilter(g.filter);
      if (!empty && !read(filter, g.events)) return false;
    }
    return true;
  }

  /**
   * At least as many events as a normalized filter (without exclusions) matches: the least count of
   * its indexed lists, its text and its time range, each counted on one index up to `cap + 1`
   * entries. Null when none is within `cap`.
   */
  private boundedMatches(f: AuditFilter, cap: number): number | null {
    if (cap < 0) return null;
    const limit = Math.floor(cap) + 1;
    const time: string[] = [];
    const tp: SQLInputValue[] = [];
    if (f.since !== undefined) {
      time.push('ts >= ?');
      tp.push(parseTime(f.since, 'since'));
    }
    if (f.until !== undefined) {
      time.push('ts < ?');
      tp.push(parseTime(f.until, 'until'));
    }
    // The outcome stays in: the indexes are (col, ts, outcome), so the count walks index entries
    // (no table rows) and bounds the rows the query will read. Without it a tenant's denials were
    // judged by the whole tenant and sent behind the slow queries (measured: p99 0.16 → 2.7 s).
    const o = outcomesOf(f);
    if (o) {
      time.push(`outcome IN (${marks(o.length)})`);
      tp.push(...o);
    }
    const count = (cond: string, params: SQLInputValue[]) =>
      (
        this.prep(
          `SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_events WHERE ${[cond, ...time].join(' AND ')} LIMIT ${limit})`,
        ).get(...params, ...tp) as { n: number }
      ).n;
    const tries: (() => number)[] = [];
    for (const field of INDEXED_FIELDS) {
      const values = f[field];
      if (values?.length) tries.push(() => count(`${LIST_COLUMN[field]} IN (${marks(values.length)})`, [...values]));
    }
    const subject = f.subject;
    if (subject?.length) {
      const q = marks(subject.length);
      tries.push(() => count(`(user_id IN (${q}) OR client IN (${q}))`, [...subject, ...subject]));
    }
    const text = f.text === undefined ? null : ftsQuery(f.text);
    if (text)
      tries.push(
        () =>
          (
            this.prep(
              `SELECT COUNT(*) AS n FROM (SELECT rowid FROM audit_fts WHERE audit_fts MATCH ? LIMIT ${limit})`,
            ).get(text) as { n: number }
          ).n,
      );
    if (f.since !== undefined && f.until !== undefined) tries.push(() => count('true', []));
    let least: number | null = null;
    for (const t of tries) {
      const n = t();
      if (n <= cap && (least === null || n < least)) least = n;
    }
    return least;
  }

  /**
   * Counts per value of each facet under the filter, the most frequent `limit` values; each facet
   * ignores its own selection (included and excluded values), so an excluded value keeps its count.
   * `search` keeps only values containing that text (case-insensitive; ASCII case folding).
   */
  facets(
    filter: AuditFilter,
    names: readonly AuditFacetName[] = AuditFacetName.options,
    limit = 12,
    search?: string,
  ): Record<string, FacetCount[]> {
    const needle = search?.trim() ? search.trim() : null;
    const out: Record<string, FacetCount[]> = {};
    for (const g of facetGroups(filter, names)) {
      const { filter: f, empty } = normalizeFilter(g.filter);
      const counts = empty
        ? new Map(g.names.map((n) => [n, new Map<string | null, number>()]))
        : this.facetCounts(g.names, f, needle, limit);
      for (const name of g.names) out[name] = topValues(counts.get(name) ?? new Map(), limit);
    }
    return out;
  }

  /**
   * Value → count per facet under a normalized filter. With an exclusion the counts are taken by
   * difference (all values under the filter without it, minus those under its complement): both
   * sides stay on rollups and indexes, where a NOT IN over a million events is a full scan per facet.
   * `limit` caps the values read when the result is not subtracted from (null: every value).
   */
  private facetCounts(
    names: readonly AuditFacetName[],
    f: AuditFilter,
    needle: string | null,
    limit: number | null,
  ): Map<AuditFacetName, Map<string | null, number>> {
    const split = splitExclusion(f);
    if (split) {
      const all = this.facetCounts(names, split.without, needle, null);
      const minus = this.facetCounts(names, split.only, needle, null);
      for (const [name, m] of minus) {
        const a = all.get(name);
        if (!a) continue;
        for (const [v, n] of m) {
          const left = (a.get(v) ?? 0) - n;
          if (left > 0) a.set(v, left);
          else a.delete(v);
        }
      }
      return all;
    }
    const out = new Map<AuditFacetName, Map<string | null, number>>();
    const like = needle ? likePattern(needle) : null;
    const matches = (v: string | null) => !needle || (v !== null && v.toLowerCase().includes(needle.toLowerCase()));
    const scope = singleDimScope(f);
    const fromRollup = (n: AuditFacetName) => rollupServes(f, n);
    const rest = names.filter((n) => !fromRollup(n));
    if (rest.length >= 2) {
      // Selective enough: count every remaining facet in one pass over the matching rows.
      const w = this.where(f);
      const bounded = (
        this.prep(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_events ${w.sql} LIMIT ${SINGLE_PASS_MAX + 1})`).get(
          ...w.params,
        ) as { n: number }
      ).n;
      if (bounded <= SINGLE_PASS_MAX) {
        // The matching rows are read once (scattered table rows are the cost) and each facet grouped
        // from that copy: one GROUP BY over all the columns sorts nearly one group per row.
        const cols = rest.map((n) => FACET_COLUMN[n]);
        const rows = this.prep(
          `WITH r AS MATERIALIZED (SELECT ${cols.join(', ')} FROM audit_events ${w.sql}) ${cols
            .map((c, i) => `SELECT ${i} AS f, ${c} AS value, COUNT(*) AS n FROM r GROUP BY ${c}`)
            .join(' UNION ALL ')}`,
        ).all(...w.params) as { f: number; value: string | null; n: number }[];
        const counts = rest.map(() => new Map<string | null, number>());
        for (const r of rows) if (matches(r.value)) counts[r.f]?.set(r.value, r.n);
        rest.forEach((name, i) => out.set(name, counts[i] as Map<string | null, number>));
      }
    }
    const lim = limit === null ? '' : ` LIMIT ${Math.max(1, Math.floor(limit))}`;
    for (const name of names) {
      if (out.has(name)) continue;
      let rows: { value: string | null; count: number }[];
      if (name !== 'outcome' && fromRollup(name)) {
        const o = outcomesOf(f);
        rows = (
          this.prep(
            `SELECT value, SUM(n) AS count FROM audit_facet_days WHERE dim = ?${o ? ` AND outcome IN (${o.map(() => '?').join(', ')})` : ''}${like ? " AND value LIKE ? ESCAPE '\\'" : ''}
             GROUP BY value ORDER BY count DESC, value${lim}`,
          ).all(name, ...(o ?? []), ...(like ? [like] : [])) as unknown as { value: string; count: number }[]
        ).map((r) => ({ value: r.value === '' ? null : r.value, count: r.count }));
      } else if (name === 'outcome' && fromRollup(name)) {
        // Every event counts once per dimension of the day rollup (a few rows per day and value,
        // where the minute rollup has tens of thousands and the events a row each).
        const o = outcomesOf(f);
        const values = scope ? ` AND value IN (${marks(scope.values.length)})` : '';
        rows = this.prep(
          `SELECT outcome AS value, SUM(n) AS count FROM audit_facet_days WHERE dim = ?${values}${o ? ` AND outcome IN (${marks(o.length)})` : ''}
           GROUP BY outcome ORDER BY count DESC, value`,
        ).all(scope?.dim ?? 'source', ...(scope?.values ?? []), ...(o ?? [])) as unknown as FacetCount[];
        rows = rows.filter((r) => r.count > 0 && matches(r.value));
      } else {
        const col = FACET_COLUMN[name];
        const w = this.where(f);
        const cond = like ? `${w.sql ? `${w.sql} AND` : 'WHERE'} ${col} LIKE ? ESCAPE '\\'` : w.sql;
        rows = this.prep(
          `SELECT ${col} AS value, COUNT(*) AS count FROM audit_events ${cond} GROUP BY ${col} ORDER BY count DESC, value${lim}`,
        ).all(...w.params, ...(like ? [like] : [])) as unknown as FacetCount[];
      }
      out.set(name, new Map(rows.map((r) => [r.value, r.count])));
    }
    return out;
  }

  histogram(input: AuditFilter, targetBuckets = 80): AuditHistogram {
    const { filter, empty } = normalizeFilter(input);
    const frame = empty ? null : this.histogramFrame(filter, targetBuckets);
    if (!frame) {
      const iso = (t: string | undefined) => (t === undefined ? null : new Date(parseTime(t, 'time')).toISOString());
      return { from: iso(filter.since), to: iso(filter.until), bucketMs: 0, buckets: [], total: 0 };
    }
    const { from, to, bucketMs, origin } = frame;
    const byBucket = this.bucketCounts(filter, origin, bucketMs, from, to);
    const count = Math.ceil((to - origin) / bucketMs);
    const buckets: AuditHistogram['buckets'] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const r = byBucket.get(i);
      total += r?.n ?? 0;
      buckets.push({
        start: new Date(origin + i * bucketMs).toISOString(),
        count: r?.n ?? 0,
        denied: r?.d ?? 0,
        error: r?.e ?? 0,
      });
    }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucketMs, buckets, total };
  }

  /**
   * Counts per bucket (index from `origin`) of a normalized filter. An exclusion is counted by
   * difference (see splitExclusion), so "not source=x" over a large range stays on indexes and rollups.
   */
  /**
   * A histogram's time frame: its range (the filter's, else the matching events' first and last),
   * the bucket width for about `targetBuckets` buckets and the first bucket's start. Null when no
   * bound is given and nothing matches.
   */
  private histogramFrame(
    filter: AuditFilter,
    targetBuckets: number,
  ): { from: number; to: number; bucketMs: number; origin: number } | null {
    let from = filter.since !== undefined ? parseTime(filter.since, 'since') : null;
    let to = filter.until !== undefined ? parseTime(filter.until, 'until') : null;
    if (from === null || to === null) {
      const w = this.where(filter);
      // Separate MIN and MAX subqueries: each is one index seek (together in one SELECT, SQLite scans).
      const r = this.prep(
        `SELECT (SELECT MIN(ts) FROM audit_events ${w.sql}) AS lo, (SELECT MAX(ts) FROM audit_events ${w.sql}) AS hi`,
      ).get(...w.params, ...w.params) as { lo: number | null; hi: number | null };
      if (r.lo === null || r.hi === null) return null;
      from ??= r.lo;
      to ??= r.hi + 1;
    }
    const span = Math.max(1, to - from);
    const bucketMs = BUCKET_STEPS.find((s) => span / s <= targetBuckets) ?? Math.ceil(span / targetBuckets);
    return { from, to, bucketMs, origin: Math.floor(from / bucketMs) * bucketMs };
  }

  /**
   * Whether a query is answered from the rollups alone (a few index seeks and rollup rows, a few
   * milliseconds at any store size): a histogram or count of a time range and outcomes. The query
   * pool runs these on the serving thread, where a worker would cost more to start (~35 MB, ~130 ms
   * of CPU) than the query: the Overview's histogram, on every start, no longer spawns one.
   */
  answersFromRollups(name: string, args: readonly unknown[]): boolean {
    if (name !== 'histogram' && name !== 'count') return false;
    const { filter, empty } = normalizeFilter(args[0] as AuditFilter);
    if (empty) return true;
    if (splitExclusion(filter) || !onlyTimeAndOutcome(filter)) return false;
    if (name === 'count') return filter.since === undefined && filter.until === undefined;
    const frame = this.histogramFrame(filter, (args[1] as number | undefined) ?? 80);
    return !frame || frame.bucketMs % MINUTE === 0;
  }

  private bucketCounts(
    filter: AuditFilter,
    origin: number,
    bucketMs: number,
    from: number,
    to: number,
  ): Map<number, { b: number; n: number; d: number; e: number }> {
    const split = splitExclusion(filter);
    if (split) {
      const all = this.bucketCounts(split.without, origin, bucketMs, from, to);
      const minus = this.bucketCounts(split.only, origin, bucketMs, from, to);
      for (const [b, r] of minus) {
        const a = all.get(b);
        if (!a) continue;
        a.n -= r.n;
        a.d -= r.d;
        a.e -= r.e;
      }
      return all;
    }
    const w = this.where(filter);
    const rows =
      bucketMs % MINUTE === 0 && onlyTimeAndOutcome(filter)
        ? this.histogramFromMinutes(origin, bucketMs, from, to, outcomesOf(filter) ?? undefined)
        : // Clipped to [from, to) like the minute rollups: counts taken by difference must cover the same span.
          (this.prep(
            `SELECT CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*) AS n, SUM(outcome = 'denied') AS d, SUM(outcome = 'error') AS e
       FROM audit_events ${w.sql ? `${w.sql} AND` : 'WHERE'} ts >= ? AND ts < ? GROUP BY b ORDER BY b`,
          ).all(origin, bucketMs, ...w.params, from, to) as { b: number; n: number; d: number; e: number }[]);
    return new Map(rows.map((r) => [r.b, { ...r }]));
  }

  /** What deleteOlderThan(beforeTs) would delete: count, time range, per source. Reads only. */
  previewOlderThan(beforeTs: number): {
    events: number;
    from: number | null;
    to: number | null;
    bySource: { source: string; events: number }[];
  } {
    const rows = this.db
      .prepare(
        `SELECT source, COUNT(*) AS n, MIN(ts) AS lo, MAX(ts) AS hi FROM audit_events
         WHERE ${RETENTION_COND} GROUP BY source ORDER BY n DESC`,
      )
      .all(beforeTs) as { source: string; n: number; lo: number; hi: number }[];
    let events = 0;
    let from: number | null = null;
    let to: number | null = null;
    for (const r of rows) {
      events += r.n;
      from = from === null ? r.lo : Math.min(from, r.lo);
      to = to === null ? r.hi : Math.max(to, r.hi);
    }
    return { events, from, to, bySource: rows.map((r) => ({ source: r.source, events: r.n })) };
  }

  /**
   * Moves events older than `beforeTs` (Gatehouse's own actions are kept) to the trash as one
   * batch. Returns the count and the batch id (null when nothing matched).
   */
  deleteOlderThan(beforeTs: number, detail: TrashDetail = {}): { events: number; batch: string | null } {
    return this.deleteWhere(RETENTION_COND, [beforeTs], { reason: 'retention', detail });
  }

  /** Moves a source's events to the trash as one batch. */
  deleteBySource(source: string): { events: number; batch: string | null } {
    return this.deleteWhere('source = ?', [source], { reason: 'source-removed', detail: { source } });
  }

  /** Deletions still restorable, newest first. */
  trashBatches(): AuditTrashBatch[] {
    const rows = this.db
      .prepare(
        'SELECT id, reason, detail_json, deleted_at, events, first_ts, last_ts FROM audit_trash_batches ORDER BY id DESC',
      )
      .all() as {
      id: number;
      reason: AuditTrashBatch['reason'];
      detail_json: string;
      deleted_at: number;
      events: number;
      first_ts: number | null;
      last_ts: number | null;
    }[];
    return rows.map((r) => ({
      id: String(r.id),
      reason: r.reason,
      detail: JSON.parse(r.detail_json) as TrashDetail,
      deletedAt: new Date(r.deleted_at).toISOString(),
      expiresAt: new Date(r.deleted_at + AUDIT_TRASH_DAYS * DAY_MS).toISOString(),
      events: r.events,
      from: r.first_ts === null ? null : new Date(r.first_ts).toISOString(),
      to: r.last_ts === null ? null : new Date(r.last_ts).toISOString(),
    }));
  }

  /**
   * Puts a trashed batch back: events keep their id unless it was taken meanwhile; an event stored
   * again since (re-imported) is skipped as a duplicate. Rollups and the search index are updated.
   */
  /** `lowestId`: the lowest id an event was restored under (null: none), for the forward marks. */
  restoreBatch(batchId: string): {
    restored: number;
    duplicates: number;
    batch: AuditTrashBatch;
    lowestId: number | null;
  } {
    const batch = this.trashBatches().find((b) => b.id === batchId);
    if (!batch)
      throw new AdminError(
        'not-found',
        `no deletion ${batchId} in the trash (restorable for ${AUDIT_TRASH_DAYS} days)`,
      );
    const id = Number(batchId);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.exec(
        'CREATE TEMP TABLE IF NOT EXISTS audit_restored (id INTEGER PRIMARY KEY); DELETE FROM temp.audit_restored;',
      );
      const rows = this.db.prepare(`SELECT rowid AS r FROM audit_trash WHERE batch = ?`).all(id) as { r: number }[];
      const insert = this.db.prepare(
        `INSERT OR IGNORE INTO audit_events (id, uid, ${TRASH_COLS})
         SELECT CASE WHEN EXISTS (SELECT 1 FROM audit_events e WHERE e.id = t.id) THEN NULL ELSE t.id END, t.uid, ${TRASH_COLS.split(
           ', ',
         )
           .map((c) => `t.${c}`)
           .join(', ')}
         FROM audit_trash t WHERE t.rowid = ?`,
      );
      const mark = this.db.prepare('INSERT INTO temp.audit_restored (id) VALUES (?)');
      let restored = 0;
      let lowestId: number | null = null;
      for (const { r } of rows) {
        const res = insert.run(r);
        if (Number(res.changes) > 0) {
          restored++;
          mark.run(res.lastInsertRowid);
          lowestId = Math.min(lowestId ?? Infinity, Number(res.lastInsertRowid));
        }
      }
      const cond = 'id IN (SELECT id FROM temp.audit_restored)';
      this.adjustRollups(cond, [], +1);
      this.db.exec(`INSERT INTO audit_fts (rowid, body) SELECT id, ${FTS_BODY_SQL} FROM audit_events WHERE ${cond}`);
      this.db.prepare('DELETE FROM audit_trash WHERE batch = ?').run(id);
      this.db.prepare('DELETE FROM audit_trash_batches WHERE id = ?').run(id);
      this.db.exec('DELETE FROM temp.audit_restored');
      this.db.exec('COMMIT');
      return { restored, duplicates: rows.length - restored, batch, lowestId };
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Drops trashed batches deleted before `beforeTs` for good. Returns the events purged. */
  purgeTrash(beforeTs: number): number {
    const old = this.db.prepare('SELECT id FROM audit_trash_batches WHERE deleted_at < ?').all(beforeTs) as {
      id: number;
    }[];
    if (!old.length) return 0;
    let n = 0;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const { id } of old) {
        n += Number(this.db.prepare('DELETE FROM audit_trash WHERE batch = ?').run(id).changes);
        this.db.prepare('DELETE FROM audit_trash_batches WHERE id = ?').run(id);
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    return n;
  }

  /**
   * Histogram buckets from the per-minute rollup for whole minutes, plus the events of the partial
   * minutes at either edge of [from, to) counted from the time index: exact, and independent of N.
   */
  private histogramFromMinutes(
    origin: number,
    bucketMs: number,
    from: number,
    to: number,
    outcomes: readonly AuditOutcome[] | undefined,
  ): { b: number; n: number; d: number; e: number }[] {
    const o = outcomes?.length ? outcomes : null;
    const oSql = o ? ` AND outcome IN (${o.map(() => '?').join(', ')})` : '';
    const firstFull = Math.ceil(from / MINUTE);
    const lastFull = Math.floor(to / MINUTE);
    const acc = new Map<number, { b: number; n: number; d: number; e: number }>();
    const add = (b: number, outcome: string, n: number) => {
      const r = acc.get(b) ?? { b, n: 0, d: 0, e: 0 };
      r.n += n;
      if (outcome === 'denied') r.d += n;
      if (outcome === 'error') r.e += n;
      acc.set(b, r);
    };
    const rolled = (table: 'audit_minutes' | 'audit_hours', lo: number, hi: number) => {
      if (lo >= hi) return;
      const [col, unit] = table === 'audit_hours' ? ['hour', HOUR] : ['minute', MINUTE];
      const rows = this.prep(
        `SELECT CAST((${col} * ${unit} - ?) / ? AS INTEGER) AS b, outcome, SUM(n) AS n FROM ${table}
         WHERE ${col} >= ? AND ${col} < ?${oSql} GROUP BY b, outcome`,
      ).all(origin, bucketMs, lo, hi, ...(o ?? [])) as { b: number; outcome: string; n: number }[];
      for (const r of rows) add(r.b, r.outcome, r.n);
    };
    if (firstFull < lastFull) {
      // Buckets of whole hours: the whole hours inside [from, to) from the hour rollup, the minutes
      // of the partial hours at either edge from the minute rollup.
      const firstHour = Math.ceil(firstFull / 60);
      const lastHour = Math.floor(lastFull / 60);
      if (bucketMs % HOUR === 0 && firstHour < lastHour) {
        rolled('audit_hours', firstHour, lastHour);
        rolled('audit_minutes', firstFull, firstHour * 60);
        rolled('audit_minutes', lastHour * 60, lastFull);
      } else rolled('audit_minutes', firstFull, lastFull);
    }
    const edges: [number, number][] =
      firstFull < lastFull
        ? [
            [from, firstFull * MINUTE],
            [lastFull * MINUTE, to],
          ]
        : [[from, to]];
    for (const [lo, hi] of edges) {
      if (lo >= hi) continue;
      const rows = this.prep(
        `SELECT CAST((ts - ?) / ? AS INTEGER) AS b, outcome, COUNT(*) AS n FROM audit_events
         WHERE ts >= ? AND ts < ?${oSql} GROUP BY b, outcome`,
      ).all(origin, bucketMs, lo, hi, ...(o ?? [])) as { b: number; outcome: string; n: number }[];
      for (const r of rows) add(r.b, r.outcome, r.n);
    }
    return [...acc.values()];
  }

  /** Adds (sign +1) or takes out (-1) the events matching `cond` in the rollups. */
  private adjustRollups(cond: string, params: SQLInputValue[], sign: 1 | -1): void {
    const count = sign > 0 ? 'COUNT(*)' : '-COUNT(*)';
    for (const [table, unit, ms] of [
      ['audit_minutes', 'minute', MINUTE],
      ['audit_hours', 'hour', HOUR],
    ] as const) {
      this.db
        .prepare(
          `INSERT INTO ${table} (${unit}, outcome, n)
           SELECT ts / ${ms}, outcome, ${count} FROM audit_events WHERE ${cond} GROUP BY 1, 2
           ON CONFLICT (${unit}, outcome) DO UPDATE SET n = n + excluded.n`,
        )
        .run(...params);
    }
    for (const dim of ROLLUP_DIMS) {
      this.db
        .prepare(
          `INSERT INTO audit_facet_days (dim, day, value, outcome, n)
           SELECT '${dim}', ts / ${DAY_MS}, COALESCE(${FACET_COLUMN[dim]}, ''), outcome, ${count} FROM audit_events
           WHERE ${cond} GROUP BY 2, 3, 4
           ON CONFLICT (dim, day, value, outcome) DO UPDATE SET n = n + excluded.n`,
        )
        .run(...params);
    }
    if (sign < 0)
      this.db.exec(
        'DELETE FROM audit_minutes WHERE n <= 0; DELETE FROM audit_hours WHERE n <= 0; DELETE FROM audit_facet_days WHERE n <= 0;',
      );
  }

  /** Moves the events matching `cond` to the trash as one batch (never a silent, final delete). */
  private deleteWhere(
    cond: string,
    params: SQLInputValue[],
    trash: { reason: AuditTrashBatch['reason']; detail: TrashDetail },
  ): { events: number; batch: string | null } {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const span = this.db
        .prepare(`SELECT COUNT(*) AS n, MIN(ts) AS lo, MAX(ts) AS hi FROM audit_events WHERE ${cond}`)
        .get(...params) as { n: number; lo: number | null; hi: number | null };
      if (!span.n) {
        this.db.exec('COMMIT');
        return { events: 0, batch: null };
      }
      const batch = Number(
        this.db
          .prepare(
            'INSERT INTO audit_trash_batches (reason, detail_json, deleted_at, events, first_ts, last_ts) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(trash.reason, JSON.stringify(trash.detail), Date.now(), span.n, span.lo, span.hi).lastInsertRowid,
      );
      this.db
        .prepare(
          `INSERT INTO audit_trash (batch, id, uid, ${TRASH_COLS}) SELECT ?, id, uid, ${TRASH_COLS} FROM audit_events WHERE ${cond}`,
        )
        .run(batch, ...params);
      // Take the deleted events out of the rollups first.
      this.adjustRollups(cond, params, -1);
      this.db
        .prepare(`DELETE FROM audit_fts WHERE rowid IN (SELECT id FROM audit_events WHERE ${cond})`)
        .run(...params);
      const n = Number(this.db.prepare(`DELETE FROM audit_events WHERE ${cond}`).run(...params).changes);
      this.db.exec('COMMIT');
      return { events: n, batch: String(batch) };
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }
}

function rowToEvent(r: EventRow): AuditEvent {
  let original: unknown = null;
  if (r.original) {
    try {
      original = JSON.parse(r.original);
    } catch {
      original = r.original;
    }
  }
  return {
    id: String(r.id),
    time: new Date(r.ts).toISOString(),
    source: r.source,
    sourceKind: r.source_kind as AuditSourceKind,
    sourceRecordId: r.source_record_id,
    tenant: r.tenant,
    'user.id': r.user_id,
    client: r.client,
    'client.address': r.client_address,
    'mcp.method.name': r.method,
    server: r.server,
    'gen_ai.tool.name': r.tool,
    'gen_ai.prompt.name': r.prompt,
    'mcp.resource.uri': r.resource_uri,
    outcome: r.outcome as AuditOutcome,
    reason: r.reason,
    'error.type': r.error_type,
    durationMs: r.duration_ms,
    'jsonrpc.request.id': r.request_id,
    'mcp.session.id': r.session_id,
    original,
  };
}
