import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AdminError } from '../../../shared/api/errors.js';
import {
  AuditFacetName,
  type AuditEvent,
  type AuditEventDraft,
  type AuditFilter,
  type AuditHistogram,
  type AuditPage,
  type FacetCount,
} from '../../../shared/model/audit.js';
import { dedupeUid } from '../audit/original.js';
import { normalizeFilter, omitField, sealEvent, type AuditQueryOptions, type IngestRecord } from '../audit/store.js';
import type { TeamStore } from './store.js';
import { copyField, fromPgText, toPgText } from './audit-text.js';
import {
  BUCKET_STEPS,
  FACET_COLUMN,
  FACET_FILTER_FIELD,
  LIST_COLUMN,
  type AuditEventColumns,
} from '../audit/columns.js';

/**
 * The audit timeline in the team store (migrations 4–6): monthly partitions, the same filter, keyset
 * pages (both orders, jumps, paging back), facets, histogram and full-text search as the local
 * timeline, and chunked bulk ingest. Whole-timeline counts, facets and histograms (by outcome at
 * most) read rollups kept by ingest; everything else reads the events through per-column indexes.
 *
 * Ingest: each chunk is one transaction — COPY FROM STDIN (text format) into a session temp table,
 * then one `INSERT … SELECT … ON CONFLICT (uid, ts) DO NOTHING` into the partitioned events that
 * also adds the inserted rows (never the duplicates) to the rollups, then COMMIT. A connection
 * killed mid-ingest (mid-COPY included) loses only the chunk in flight (rolled back); re-sending
 * everything stores each event exactly once.
 */

/** Records per committed chunk: larger chunks cost fewer statements and commits; two in flight bound memory. */
export const PG_AUDIT_CHUNK = 20_000;

const EVENT_COLS = `id, ts, source, source_kind, source_record_id, tenant, user_id, client, client_address, method, server,
  tool, prompt, resource_uri, outcome, reason, error_type, duration_ms, request_id, session_id, original`;

interface EventRow extends AuditEventColumns {
  id: string;
  ts: Date;
  source_kind: AuditEvent['sourceKind'];
  outcome: AuditEvent['outcome'];
}

function toEvent(r: EventRow): AuditEvent {
  let original: unknown;
  try {
    original = r.original === null ? null : JSON.parse(fromPgText(r.original));
  } catch {
    original = { _unparseable: true };
  }
  const t = fromPgText;
  return {
    id: r.id,
    time: r.ts.toISOString(),
    source: t(r.source),
    sourceKind: r.source_kind,
    sourceRecordId: t(r.source_record_id),
    tenant: t(r.tenant),
    'user.id': t(r.user_id),
    client: t(r.client),
    'client.address': t(r.client_address),
    'mcp.method.name': t(r.method),
    server: t(r.server),
    'gen_ai.tool.name': t(r.tool),
    'gen_ai.prompt.name': t(r.prompt),
    'mcp.resource.uri': t(r.resource_uri),
    outcome: r.outcome,
    reason: t(r.reason),
    'error.type': t(r.error_type),
    durationMs: r.duration_ms,
    'jsonrpc.request.id': t(r.request_id),
    'mcp.session.id': t(r.session_id),
    original,
  };
}

function parseTime(iso: string, what: string): Date {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new AdminError('bad-request', `${what}: not a date/time: "${iso}"`);
  return new Date(t);
}

/** A keyset position: the time in epoch microseconds and the id. */
interface Key {
  us: bigint;
  id: bigint;
}
const MAX_ID = 9223372036854775807n;

function decodeCursor(cursor: string): Key {
  const m = /^(-?\d{1,19}):(\d{1,19})$/.exec(cursor);
  if (!m) throw new AdminError('bad-request', 'invalid cursor');
  const key = { us: BigInt(m[1]!), id: BigInt(m[2]!) };
  if (key.id > MAX_ID) throw new AdminError('bad-request', 'invalid cursor');
  return key;
}

/** Epoch microseconds → an exact ISO timestamp (a Date holds milliseconds only). */
function usToIso(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const rest = us - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

/** User text → a tsquery: each word's tokens ANDed, the last token of each word a prefix. */
export function tsQuery(text: string): string | null {
  const terms: string[] = [];
  for (const w of text.split(/\s+/)) {
    const toks = w.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    toks.forEach((t, i) => terms.push(`'${t.toLowerCase()}'${i === toks.length - 1 ? ':*' : ''}`));
  }
  return terms.length ? terms.join(' & ') : null;
}

type Q = Pick<pg.ClientBase, 'query'>;

/** Facets kept per day in audit_facet_days (migration 5). */
const ROLLUP_DIMS: readonly AuditFacetName[] = ['tenant', 'subject', 'client', 'server', 'tool', 'method', 'source'];
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** True when a normalized filter selects on nothing but time and outcome (the rollups can answer). */
function onlyTimeAndOutcome(filter: AuditFilter): boolean {
  return Object.entries(filter).every(
    ([k, v]) =>
      v === undefined ||
      k === 'since' ||
      k === 'until' ||
      k === 'outcome' ||
      (Array.isArray(v) && !v.length) ||
      (k === 'exclude' && !Object.values(v as Record<string, unknown[] | undefined>).some((x) => x?.length)) ||
      (k === 'text' && typeof v === 'string' && !tsQuery(v)),
  );
}

/** The whole timeline, by outcome at most: the totals answer. */
function rollable(filter: AuditFilter): boolean {
  return filter.since === undefined && filter.until === undefined && onlyTimeAndOutcome(filter);
}

/** ASCII-only lower case (as SQLite's LIKE folds), the same in SQL and here. */
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const FOLD_SQL = (col: string) => `translate(${col}, '${UPPER}', '${UPPER.toLowerCase()}')`;
function foldAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The most frequent values first (ties by value, none first), at most `limit` (as the local timeline). */
function topValues(rows: FacetCount[], limit: number): FacetCount[] {
  return rows
    .filter((x) => x.count > 0)
    .sort(
      (a, b) =>
        b.count - a.count ||
        (a.value === b.value ? 0 : a.value === null ? -1 : b.value === null ? 1 : a.value < b.value ? -1 : 1),
    )
    .slice(0, limit);
}

function where(filter: AuditFilter, params: unknown[], omit?: keyof AuditFilter): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts: string[] = [];
  if (filter.since !== undefined && omit !== 'since') parts.push(`ts >= ${p(parseTime(filter.since, 'since'))}`);
  if (filter.until !== undefined && omit !== 'until') parts.push(`ts < ${p(parseTime(filter.until, 'until'))}`);
  for (const [field, col] of Object.entries(LIST_COLUMN) as [keyof typeof LIST_COLUMN, string][]) {
    const values = filter[field];
    if (!values?.length || omit === field) continue;
    // One value as a plain equality: the (col, ts, id) index then yields rows in page order (no sort).
    parts.push(
      values.length === 1
        ? `${col} = ${p(toPgText(values[0]!))}::text`
        : `${col} = ANY(${p(values.map(toPgText))}::text[])`,
    );
  }
  if (filter.subject?.length && omit !== 'subject') {
    const s = p(filter.subject.map(toPgText));
    parts.push(`(user_id = ANY(${s}::text[]) OR client = ANY(${s}::text[]))`);
  }
  // Exclusions keep events that have no value in the field (as the local timeline does); a field's
  // own facet leaves its exclusion out, like its include list, so the excluded values stay visible.
  for (const [field, values] of Object.entries(filter.exclude ?? {}) as [string, string[] | undefined][]) {
    if (!values?.length || omit === field) continue;
    if (field === 'subject') {
      const s = p(values.map(toPgText));
      parts.push(
        `(user_id IS NULL OR user_id <> ALL(${s}::text[])) AND (client IS NULL OR client <> ALL(${s}::text[]))`,
      );
      continue;
    }
    const col = (LIST_COLUMN as Record<string, string>)[field];
    if (col) parts.push(`(${col} IS NULL OR ${col} <> ALL(${p(values.map(toPgText))}::text[]))`);
  }
  if (filter.text !== undefined && omit !== 'text') {
    const q = tsQuery(filter.text);
    if (q) parts.push(`body @@ to_tsquery('simple', ${p(q)})`);
  }
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

export interface PgIngestResult {
  imported: number;
  duplicates: number;
  chunks: number;
}

export interface PgIngestOptions {
  /** Records per committed chunk (PG_AUDIT_CHUNK). */
  chunk?: number;
  /** Chunks being sent or stored at once, each on its own connection (default 2). */
  inflight?: number;
  afterChunk?: (done: number) => Promise<void>;
  /**
   * Test hook: inside each chunk's transaction, halfway through its COPY stream, with the chunk's
   * backend pid (the connection itself is busy copying).
   */
  duringCopy?: (backendPid: number, chunk: number) => Promise<void>;
  /** Test hook: inside each chunk's transaction, after the insert, before COMMIT. */
  beforeCommit?: (c: pg.PoolClient, chunk: number) => Promise<void>;
}

/** The staging table a chunk is copied into (per session, emptied at each commit). */
const STAGE_DDL = `CREATE TEMP TABLE IF NOT EXISTS audit_stage (uid bigint, ts timestamptz, source text,
  source_kind text, source_record_id text, tenant text, user_id text, client text, client_address text, method text,
  server text, tool text, prompt text, resource_uri text, outcome text, reason text, error_type text,
  duration_ms double precision, request_id text, session_id text, original text) ON COMMIT DELETE ROWS`;
const STAGE_COLS = `uid, ts, source, source_kind, source_record_id, tenant, user_id, client, client_address, method,
  server, tool, prompt, resource_uri, outcome, reason, error_type, duration_ms, request_id, session_id, original`;
/**
 * Staged rows into the events (duplicates skipped), and the rows actually inserted (RETURNING, not
 * the duplicates) into the rollups, in key order so two chunks in flight lock shared rollup rows in
 * the same order.
 */
const MOVE_STAGED = `WITH ins AS (
    INSERT INTO audit_events (${STAGE_COLS})
    SELECT ${STAGE_COLS} FROM audit_stage
    ON CONFLICT (uid, ts) DO NOTHING
    RETURNING ts, outcome, tenant, user_id, client, server, tool, method, source
  ), mins AS (
    SELECT date_trunc('minute', ts, 'UTC') AS minute, outcome, count(*) AS n FROM ins GROUP BY 1, 2
  ), minutes AS (
    INSERT INTO audit_minutes AS a (minute, outcome, n)
    SELECT minute, outcome, n FROM mins ORDER BY 1, 2
    ON CONFLICT (minute, outcome) DO UPDATE SET n = a.n + EXCLUDED.n
  ), hours AS (
    INSERT INTO audit_hours AS a (hour, outcome, n)
    SELECT date_trunc('hour', minute, 'UTC'), outcome, sum(n) FROM mins GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (hour, outcome) DO UPDATE SET n = a.n + EXCLUDED.n
  ), dv AS (
    SELECT v.dim, (ins.ts AT TIME ZONE 'UTC')::date AS day, coalesce(v.value, '') AS value, ins.outcome, count(*) AS n
    FROM ins CROSS JOIN LATERAL (VALUES ('tenant', ins.tenant), ('subject', ins.user_id), ('client', ins.client),
      ('server', ins.server), ('tool', ins.tool), ('method', ins.method), ('source', ins.source)) AS v(dim, value)
    GROUP BY 1, 2, 3, 4
  ), days AS (
    INSERT INTO audit_facet_days AS a (dim, day, value, outcome, n)
    SELECT dim, day, value, outcome, n FROM dv ORDER BY 1, 2, 3, 4
    ON CONFLICT (dim, day, value, outcome) DO UPDATE SET n = a.n + EXCLUDED.n
  ), totals AS (
    INSERT INTO audit_facet_totals AS a (dim, value, outcome, n)
    SELECT dim, value, outcome, sum(n) FROM dv GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (dim, value, outcome) DO UPDATE SET n = a.n + EXCLUDED.n
  )
  SELECT count(*) AS n FROM ins`;

/** One sealed record as a COPY text-format line (stage column order). */
function copyLine(uid: bigint, ts: number, e: AuditEventDraft, original: string): string {
  const t = (v: string | null) => copyField(toPgText(v));
  const num = (v: number | null) => (v === null || !Number.isFinite(v) ? '\\N' : String(v));
  return (
    [
      uid,
      new Date(ts).toISOString(),
      t(e.source),
      t(e.sourceKind),
      t(e.sourceRecordId),
      t(e.tenant),
      t(e['user.id']),
      t(e.client),
      t(e['client.address']),
      t(e['mcp.method.name']),
      t(e.server),
      t(e['gen_ai.tool.name']),
      t(e['gen_ai.prompt.name']),
      t(e['mcp.resource.uri']),
      t(e.outcome),
      t(e.reason),
      t(e['error.type']),
      num(e.durationMs),
      t(e['jsonrpc.request.id']),
      t(e['mcp.session.id']),
      t(original),
    ].join('\t') + '\n'
  );
}

/** Lines per write into the COPY stream (one CopyData message each). */
const COPY_PIECE = 500;

export class PgAuditStore {
  constructor(private readonly store: TeamStore) {}

  /**
   * Seals (masks) and stores records in committed chunks; returns what was new. Each chunk is one
   * transaction: COPY into the session's staging table, then one INSERT … SELECT … ON CONFLICT DO
   * NOTHING into the partitioned events with the rollups, then COMMIT. A connection killed at any
   * point loses only its chunk (rolled back); re-sending everything stores each event exactly once.
   * `afterChunk` runs after each commit (progress). Memory: at most `inflight` + 1 chunks of COPY text.
   */
  async ingest(records: Iterable<IngestRecord>, opts: PgIngestOptions = {}): Promise<PgIngestResult> {
    const size = opts.chunk ?? PG_AUDIT_CHUNK;
    const maxInflight = Math.max(1, opts.inflight ?? 2);
    const out: PgIngestResult = { imported: 0, duplicates: 0, chunks: 0 };
    let lines: string[] = [];
    let lo = Infinity;
    let hi = -Infinity;
    const inflight: Promise<void>[] = [];
    let started = 0;
    const flush = async () => {
      if (!lines.length) return;
      const rows = lines;
      const [from, to] = [new Date(lo), new Date(hi)];
      const chunkNo = started++;
      lines = [];
      lo = Infinity;
      hi = -Infinity;
      const n = await this.store.transaction(async (c) => {
        await c.query(STAGE_DDL);
        const pid = opts.duringCopy
          ? (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
          : 0;
        const pieces = Math.ceil(rows.length / COPY_PIECE);
        await pipeline(
          Readable.from(
            (async function* () {
              for (let k = 0; k < pieces; k++) {
                if (k === pieces >> 1 && opts.duringCopy) await opts.duringCopy(pid, chunkNo);
                yield rows.slice(k * COPY_PIECE, (k + 1) * COPY_PIECE).join('');
              }
            })(),
          ),
          c.query(copyFrom(`COPY audit_stage (${STAGE_COLS}) FROM STDIN`)),
        );
        await c.query('SELECT audit_ensure_partitions($1, $2)', [from, to]);
        const r = await c.query<{ n: string }>(MOVE_STAGED);
        await opts.beforeCommit?.(c, chunkNo);
        return Number(r.rows[0]!.n);
      });
      out.imported += n;
      out.duplicates += rows.length - n;
      out.chunks++;
      await opts.afterChunk?.(out.imported + out.duplicates);
    };
    const send = () => {
      const p = flush();
      p.catch(() => {}); // observed below; keeps a failure from surfacing as unhandled meanwhile
      inflight.push(p);
    };
    try {
      for (const rec of records) {
        const { event: e, original } = sealEvent(rec.event);
        const ts = Date.parse(e.time);
        if (!Number.isFinite(ts)) throw new AdminError('bad-request', `audit record ${rec.key}: invalid time`);
        lo = Math.min(lo, ts);
        hi = Math.max(hi, ts);
        lines.push(copyLine(dedupeUid(e.sourceKind, rec.key), ts, e, original));
        if (lines.length >= size) {
          // Chunks in flight on their own connections: the next one is sealed while the server stores.
          send();
          if (inflight.length >= maxInflight) await inflight.shift();
        }
      }
      send();
    } finally {
      // Every chunk in flight settles (commits or rolls back) before this returns or throws.
      const settled = await Promise.allSettled(inflight.splice(0));
      const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason; // eslint-disable-line no-unsafe-finally
    }
    return out;
  }

  /**
   * One page in time order (newest or oldest first), keyset on (ts, id), with the local timeline's
   * semantics (AuditStore.query): a page starts after `cursor` (`direction: 'next'`), before it
   * (`'prev'`, back towards the list's start), at a time (`at`: the first event at or before it
   * newest first, at or after it oldest first), or at the list's start; pages reached by a cursor or
   * a time carry a `prevCursor` when events precede them. The cursor is `<epoch µs>:<id>`.
   */
  query(filter: AuditFilter, opts: AuditQueryOptions): Promise<AuditPage> {
    const order = opts.order ?? 'newest';
    const back = opts.direction === 'prev' && !!opts.cursor;
    // Rows are read in the list's order, or reversed when paging back (then flipped again below).
    const desc = (order === 'newest') !== back;
    const boundary: Key | null = opts.cursor
      ? decodeCursor(opts.cursor)
      : opts.at !== undefined
        ? { us: BigInt(parseTime(opts.at, 'at').getTime()) * 1000n, id: order === 'newest' ? MAX_ID : 0n }
        : null;
    return this.store.withClient(async (c) => {
      const params: unknown[] = [];
      const w = where(filter, params);
      const keyset = (d: boolean, k: Key, ps: unknown[]) => {
        ps.push(usToIso(k.us), k.id.toString());
        return `(ts, id) ${d ? '<' : '>'} ($${ps.length - 1}::timestamptz, $${ps.length}::bigint)`;
      };
      let sql = w;
      const pageParams = [...params];
      if (boundary) sql += `${sql ? ' AND' : 'WHERE'} ${keyset(desc, boundary, pageParams)}`;
      pageParams.push(opts.limit + 1);
      const dir = desc ? 'DESC' : 'ASC';
      // Without full text, the page's keys come first (an index-only walk of one column's
      // (col, ts, id) INCLUDE (outcome) index filters the outcome without visiting the heap), then
      // its rows by key; with full text the tsvector must be read from the rows anyway.
      const text = filter.text !== undefined && tsQuery(filter.text) !== null;
      const r = await c.query<EventRow & { us: string }>(
        text
          ? `SELECT ${EVENT_COLS}, (extract(epoch FROM ts) * 1000000)::bigint AS us FROM audit_events ${sql}
             ORDER BY ts ${dir}, id ${dir} LIMIT $${pageParams.length}`
          : `SELECT ${EVENT_COLS.replace(/\b(\w+)\b/g, 'e.$1')}, (extract(epoch FROM k.ts) * 1000000)::bigint AS us
             FROM (SELECT ts, id FROM audit_events ${sql} ORDER BY ts ${dir}, id ${dir} LIMIT $${pageParams.length}) k
             CROSS JOIN LATERAL (SELECT ${EVENT_COLS} FROM audit_events x WHERE x.ts = k.ts AND x.id = k.id) e
             ORDER BY k.ts ${dir}, k.id ${dir}`,
        pageParams,
      );
      const more = r.rows.length > opts.limit;
      const page = more ? r.rows.slice(0, opts.limit) : r.rows;
      if (back) page.reverse();
      const first = page[0];
      const last = page.at(-1);
      const cursorOf = (x: { us: string; id: string }) => `${x.us}:${x.id}`;
      let nextCursor: string | null;
      let prevCursor: string | null = null;
      if (back) {
        // Paging back from a cursor: the cursor's side follows this page; `more` rows precede it.
        prevCursor = more && first ? cursorOf(first) : null;
        nextCursor = last ? cursorOf(last) : (opts.cursor ?? null);
      } else {
        nextCursor = more && last ? cursorOf(last) : null;
        if (boundary) {
          // Is there an event before this page (in list order)? One index probe from its first
          // event (or from the boundary when the page is empty).
          const b: Key = first ? { us: BigInt(first.us), id: BigInt(first.id) } : boundary;
          const probeParams = [...params];
          const probe = await c.query(
            `SELECT 1 FROM audit_events ${w}${w ? ' AND' : 'WHERE'} ${keyset(!desc, b, probeParams)} LIMIT 1`,
            probeParams,
          );
          if (probe.rowCount) prevCursor = `${b.us}:${b.id}`;
        }
      }
      return {
        events: page.map(toEvent),
        nextCursor,
        prevCursor,
        total: opts.withTotal ? await this.countWith(c, filter) : null,
      };
    });
  }

  /** One event by id (ids are the team store's own, as in its pages). */
  get(id: string): Promise<AuditEvent | null> {
    // Not an id of this store (and beyond bigint): no event, not a database error.
    if (!/^\d{1,19}$/.test(id) || BigInt(id) > MAX_ID) return Promise.resolve(null);
    return this.store.withClient(async (c) => {
      const r = await c.query<EventRow>(`SELECT ${EVENT_COLS} FROM audit_events WHERE id = $1::bigint`, [id]);
      return r.rows[0] ? toEvent(r.rows[0]) : null;
    });
  }

  private async countWith(c: Q, input: AuditFilter): Promise<number> {
    const { filter, empty } = normalizeFilter(input);
    if (empty) return 0;
    // The whole timeline, by outcome at most: the hour rollup answers.
    if (rollable(filter)) {
      const o = filter.outcome?.length ? filter.outcome : null;
      const r = await c.query<{ n: string | null }>(
        `SELECT sum(n) AS n FROM audit_hours${o ? ' WHERE outcome = ANY($1::text[])' : ''}`,
        o ? [o] : [],
      );
      return Number(r.rows[0]!.n ?? 0);
    }
    const params: unknown[] = [];
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events ${where(filter, params)}`, params);
    return Number(r.rows[0]!.n);
  }

  count(filter: AuditFilter): Promise<number> {
    return this.store.withClient((c) => this.countWith(c, filter));
  }

  /**
   * Top values per facet, as the local timeline: a facet ignores its own selection (included and
   * excluded values); `search` keeps only values containing that text (ASCII case folding).
   * Over the whole timeline (by outcome at most) the per-value totals answer; otherwise the facets
   * sharing the filter are counted in one scan (GROUPING SETS) and the others one scan each.
   */
  facets(
    filter: AuditFilter,
    names: readonly AuditFacetName[] = AuditFacetName.options,
    limit = 12,
    search?: string,
  ): Promise<Record<string, FacetCount[]>> {
    const needle = search?.trim() ? foldAscii(toPgText(search.trim())) : null;
    const matches = (v: string | null) => needle === null || (v !== null && foldAscii(v).includes(needle));
    const selects = (n: AuditFacetName) =>
      !!(filter[FACET_FILTER_FIELD[n]] as unknown[] | undefined)?.length ||
      !!(filter.exclude as Record<string, unknown[] | undefined> | undefined)?.[FACET_FILTER_FIELD[n]]?.length;
    return this.store.withClient(async (c) => {
      const out: Record<string, FacetCount[]> = {};
      const shared: AuditFacetName[] = [];
      for (const name of names) {
        const own = FACET_FILTER_FIELD[name];
        const { filter: f, empty } = normalizeFilter(selects(name) ? omitField(filter, own) : filter);
        if (empty) {
          out[name] = [];
          continue;
        }
        if (!rollable(f)) {
          if (!selects(name)) shared.push(name);
          continue;
        }
        const o = f.outcome?.length ? f.outcome : null;
        const params: unknown[] = [];
        const p = (v: unknown) => `$${params.push(v)}`;
        let sql: string;
        if (ROLLUP_DIMS.includes(name)) {
          sql = `SELECT value, sum(n) AS count FROM audit_facet_totals WHERE dim = ${p(name)}
            ${o ? `AND outcome = ANY(${p(o)}::text[])` : ''} ${needle ? `AND strpos(${FOLD_SQL('value')}, ${p(needle)}) > 0` : ''}
            GROUP BY value HAVING sum(n) > 0 ORDER BY count DESC FETCH FIRST ${p(limit)} ROWS WITH TIES`;
        } else {
          sql = `SELECT outcome AS value, sum(n) AS count FROM audit_hours GROUP BY outcome HAVING sum(n) > 0`;
        }
        const r = await c.query<{ value: string; count: string }>(sql, params);
        // '' stands for "no value" in the per-value rollup (as in the local timeline's).
        out[name] = topValues(
          r.rows
            .map((x) => ({
              value: x.value === '' && name !== 'outcome' ? null : fromPgText(x.value),
              count: Number(x.count),
            }))
            .filter((x) => name !== 'outcome' || matches(x.value)),
          limit,
        );
      }
      if (shared.length >= 2) {
        const { filter: f } = normalizeFilter(filter);
        const params: unknown[] = [];
        const w = where(f, params);
        const sets = shared.map((n) => `(${FACET_COLUMN[n]})`).join(', ');
        const sel = shared
          .map((n, i) => `${FACET_COLUMN[n]} AS v${i}, grouping(${FACET_COLUMN[n]}) AS g${i}`)
          .join(', ');
        const r = await c.query<Record<string, string | number | null>>(
          `SELECT ${sel}, count(*) AS n FROM audit_events ${w} GROUP BY GROUPING SETS (${sets})`,
          params,
        );
        shared.forEach((name, i) => {
          out[name] = topValues(
            r.rows
              .filter((x) => Number(x[`g${i}`]) === 0 && matches(x[`v${i}`] as string | null))
              .map((x) => ({ value: fromPgText(x[`v${i}`] as string | null), count: Number(x.n) })),
            limit,
          );
        });
      }
      for (const name of names) {
        if (out[name]) continue;
        const col = FACET_COLUMN[name];
        const { filter: f } = normalizeFilter(selects(name) ? omitField(filter, FACET_FILTER_FIELD[name]) : filter);
        const params: unknown[] = [];
        let w = where(f, params);
        if (needle) w += `${w ? ' AND' : 'WHERE'} strpos(${FOLD_SQL(col)}, $${params.push(needle)}) > 0`;
        params.push(limit);
        const r = await c.query<{ value: string | null; count: string }>(
          `SELECT ${col} AS value, count(*) AS count FROM audit_events ${w} GROUP BY ${col}
           ORDER BY count DESC FETCH FIRST $${params.length} ROWS WITH TIES`,
          params,
        );
        out[name] = topValues(
          r.rows.map((x) => ({ value: fromPgText(x.value), count: Number(x.count) })),
          limit,
        );
      }
      return out;
    });
  }

  histogram(input: AuditFilter, targetBuckets = 80): Promise<AuditHistogram> {
    const { filter, empty } = normalizeFilter(input);
    if (empty) {
      const iso = (t: string | undefined) => (t === undefined ? null : parseTime(t, 'time').toISOString());
      return Promise.resolve({ from: iso(filter.since), to: iso(filter.until), bucketMs: 0, buckets: [], total: 0 });
    }
    return this.store.withClient(async (c) => {
      const params: unknown[] = [];
      const w = where(filter, params);
      let from = filter.since !== undefined ? parseTime(filter.since, 'since').getTime() : null;
      let to = filter.until !== undefined ? parseTime(filter.until, 'until').getTime() : null;
      if (from === null || to === null) {
        const r = await c.query<{ lo: Date | null; hi: Date | null }>(
          `SELECT (SELECT min(ts) FROM audit_events ${w}) AS lo, (SELECT max(ts) FROM audit_events ${w}) AS hi`,
          params,
        );
        const { lo, hi } = r.rows[0]!;
        if (!lo || !hi)
          return {
            from: from === null ? null : new Date(from).toISOString(),
            to: to === null ? null : new Date(to).toISOString(),
            bucketMs: 0,
            buckets: [],
            total: 0,
          };
        from ??= lo.getTime();
        to ??= hi.getTime() + 1;
      }
      const span = Math.max(1, to - from);
      const bucketMs = BUCKET_STEPS.find((s) => span / s <= targetBuckets) ?? Math.ceil(span / targetBuckets);
      const origin = Math.floor(from / bucketMs) * bucketMs;
      const acc = new Map<number, { n: number; d: number; e: number }>();
      const add = (b: number, outcome: string, n: number) => {
        const x = acc.get(b) ?? { n: 0, d: 0, e: 0 };
        x.n += n;
        if (outcome === 'denied') x.d += n;
        if (outcome === 'error') x.e += n;
        acc.set(b, x);
      };
      /** Events in [lo, hi) per bucket and outcome, counted from the events themselves. */
      const fromEvents = async (lo: number, hi: number, f: AuditFilter) => {
        if (lo >= hi) return;
        const ps: unknown[] = [];
        const fw = where({ ...f, since: new Date(lo).toISOString(), until: new Date(hi).toISOString() }, ps);
        ps.push(`${bucketMs} milliseconds`, new Date(origin));
        const r = await c.query<{ b: Date; outcome: string; n: string }>(
          `SELECT date_bin($${ps.length - 1}::interval, ts, $${ps.length}::timestamptz) AS b, outcome, count(*) AS n
           FROM audit_events ${fw} GROUP BY 1, 2`,
          ps,
        );
        for (const x of r.rows) add(Math.round((x.b.getTime() - origin) / bucketMs), x.outcome, Number(x.n));
      };
      const o = filter.outcome?.length ? filter.outcome : null;
      /** Whole units [lo, hi) from a rollup table (a unit never straddles two buckets). */
      const fromRollup = async (table: 'audit_hours' | 'audit_minutes', col: string, lo: number, hi: number) => {
        if (lo >= hi) return;
        const r = await c.query<{ b: string; outcome: string; n: string }>(
          `SELECT (extract(epoch FROM ${col})::bigint * 1000 - $1::bigint) / $2::bigint AS b, outcome, sum(n) AS n
           FROM ${table} WHERE ${col} >= $3 AND ${col} < $4${o ? ' AND outcome = ANY($5::text[])' : ''} GROUP BY 1, 2`,
          [origin, bucketMs, new Date(lo), new Date(hi), ...(o ? [o] : [])],
        );
        for (const x of r.rows) add(Number(x.b), x.outcome, Number(x.n));
      };
      if (bucketMs % MINUTE === 0 && onlyTimeAndOutcome(filter)) {
        // Whole hours from the hour rollup (when buckets are whole hours), whole minutes at the
        // edges from the minute rollup, the partial minutes at either end from the events: exact.
        const edgeFilter: AuditFilter = o ? { outcome: o } : {};
        const m0 = Math.ceil(from / MINUTE) * MINUTE;
        const m1 = Math.floor(to / MINUTE) * MINUTE;
        if (m0 < m1) {
          const h0 = Math.ceil(m0 / HOUR) * HOUR;
          const h1 = Math.floor(m1 / HOUR) * HOUR;
          if (bucketMs % HOUR === 0 && h0 < h1) {
            await fromRollup('audit_hours', 'hour', h0, h1);
            await fromRollup('audit_minutes', 'minute', m0, h0);
            await fromRollup('audit_minutes', 'minute', h1, m1);
          } else await fromRollup('audit_minutes', 'minute', m0, m1);
          await fromEvents(from, m0, edgeFilter);
          await fromEvents(m1, to, edgeFilter);
        } else await fromEvents(from, to, edgeFilter);
      } else await fromEvents(from, to, filter);
      const count = Math.ceil((to - origin) / bucketMs);
      const buckets: AuditHistogram['buckets'] = [];
      let total = 0;
      for (let i = 0; i < count; i++) {
        const x = acc.get(i);
        total += x?.n ?? 0;
        buckets.push({
          start: new Date(origin + i * bucketMs).toISOString(),
          count: x?.n ?? 0,
          denied: x?.d ?? 0,
          error: x?.e ?? 0,
        });
      }
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucketMs, buckets, total };
    });
  }

  /** Retention: drops the monthly partitions that end on or before `cutoff`; returns their names. */
  dropBefore(cutoff: Date): Promise<string[]> {
    return this.store.withClient(async (c) =>
      (await c.query<{ p: string }>('SELECT audit_drop_partitions_before($1) AS p', [cutoff])).rows.map((r) => r.p),
    );
  }

  partitions(): Promise<string[]> {
    return this.store.withClient(async (c) =>
      (
        await c.query<{ relname: string }>(
          `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'audit_events'::regclass ORDER BY c.relname`,
        )
      ).rows.map((r) => r.relname),
    );
  }
}
