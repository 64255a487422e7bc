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
import { sealEvent, type AuditQueryOptions, type IngestRecord } from '../audit/store.js';
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
 * The audit timeline in the team store (migration 4): monthly partitions, the same filter, keyset
 * pages, facets, histogram and full-text search as the local timeline, and chunked bulk ingest.
 *
 * Ingest: each chunk is one transaction — COPY FROM STDIN (text format) into a session temp table,
 * then one `INSERT … SELECT … ON CONFLICT (uid, ts) DO NOTHING` into the partitioned events that
 * also adds the inserted rows (never the duplicates) to the rollups, then COMMIT. A connection
 * killed mid-ingest (mid-COPY included) loses only the chunk in flight (rolled back); re-sending
 * everything stores each event exactly once.
 */

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

/** True when the filter (but `omit`) selects on nothing but time and outcome: the rollups can answer. */
function onlyTimeAndOutcome(filter: AuditFilter, omit?: keyof AuditFilter): boolean {
  return Object.entries(filter).every(
    ([k, v]) =>
      k === omit ||
      v === undefined ||
      k === 'since' ||
      k === 'until' ||
      k === 'outcome' ||
      (Array.isArray(v) && !v.length) ||
      (k === 'text' && typeof v === 'string' && !tsQuery(v)),
  );
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
    parts.push(`${col} = ANY(${p(values.map(toPgText))}::text[])`);
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
  ), minutes AS (
    INSERT INTO audit_minutes AS a (minute, outcome, n)
    SELECT date_trunc('minute', ts), outcome, count(*) FROM ins GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (minute, outcome) DO UPDATE SET n = a.n + EXCLUDED.n
  ), days AS (
    INSERT INTO audit_facet_days AS a (dim, day, value, outcome, n)
    SELECT v.dim, (ins.ts AT TIME ZONE 'UTC')::date, coalesce(v.value, ''), ins.outcome, count(*)
    FROM ins CROSS JOIN LATERAL (VALUES ('tenant', ins.tenant), ('subject', ins.user_id), ('client', ins.client),
      ('server', ins.server), ('tool', ins.tool), ('method', ins.method), ('source', ins.source)) AS v(dim, value)
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (dim, day, value, outcome) DO UPDATE SET n = a.n + EXCLUDED.n
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
      const r = await c.query<EventRow & { us: string }>(
        `SELECT ${EVENT_COLS}, (extract(epoch FROM ts) * 1000000)::bigint AS us FROM audit_events ${sql}
         ORDER BY ts ${dir}, id ${dir} LIMIT $${pageParams.length}`,
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
    if (!/^\d+$/.test(id)) return Promise.resolve(null);
    return this.store.withClient(async (c) => {
      const r = await c.query<EventRow>(`SELECT ${EVENT_COLS} FROM audit_events WHERE id = $1::bigint`, [id]);
      return r.rows[0] ? toEvent(r.rows[0]) : null;
    });
  }

  private async countWith(c: Q, filter: AuditFilter): Promise<number> {
    const params: unknown[] = [];
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events ${where(filter, params)}`, params);
    return Number(r.rows[0]!.n);
  }

  count(filter: AuditFilter): Promise<number> {
    return this.store.withClient((c) => this.countWith(c, filter));
  }

  /** Top values per facet; a facet's own selection is ignored when counting it (as the local timeline). */
  facets(
    filter: AuditFilter,
    names: readonly AuditFacetName[] = AuditFacetName.options,
    limit = 12,
  ): Promise<Record<string, FacetCount[]>> {
    return this.store.withClient(async (c) => {
      const out: Record<string, FacetCount[]> = {};
      const sorted = (rows: { value: string | null; count: number }[]) =>
        rows
          .sort(
            (a, b) =>
              b.count - a.count ||
              (a.value === b.value ? 0 : a.value === null ? -1 : b.value === null ? 1 : a.value < b.value ? -1 : 1),
          )
          .slice(0, limit);
      // Open range, nothing but outcome selected: the day rollups answer (thousands of rows, not millions).
      const open = filter.since === undefined && filter.until === undefined;
      for (const name of names) {
        const own = FACET_FILTER_FIELD[name];
        if (!open || !onlyTimeAndOutcome(filter, own)) continue;
        const o = own !== 'outcome' && filter.outcome?.length ? filter.outcome : null;
        if (ROLLUP_DIMS.includes(name)) {
          const r = await c.query<{ value: string; count: string }>(
            `SELECT value, sum(n) AS count FROM audit_facet_days WHERE dim = $1${o ? ' AND outcome = ANY($3::text[])' : ''}
             GROUP BY value ORDER BY count DESC, value LIMIT $2`,
            o ? [name, limit, o] : [name, limit],
          );
          out[name] = r.rows.map((x) => ({
            value: x.value === '' ? null : fromPgText(x.value),
            count: Number(x.count),
          }));
        } else if (name === 'outcome') {
          const r = await c.query<{ value: string; count: string }>(
            `SELECT outcome AS value, sum(n) AS count FROM audit_minutes GROUP BY outcome ORDER BY count DESC, value`,
          );
          out[name] = r.rows
            .filter((x) => Number(x.count) > 0)
            .map((x) => ({ value: x.value, count: Number(x.count) }));
        }
      }
      // Facets without a selection of their own share the filter: one scan with GROUPING SETS
      // counts them all (instead of one scan each).
      const ownSelection = (n: AuditFacetName) =>
        !!(filter[FACET_FILTER_FIELD[n]] as unknown[] | undefined)?.length ||
        !!(filter.exclude as Record<string, unknown[] | undefined> | undefined)?.[FACET_FILTER_FIELD[n]]?.length;
      const shared = names.filter((n) => !out[n] && !ownSelection(n));
      if (shared.length >= 2) {
        const params: unknown[] = [];
        const w = where(filter, params);
        const sets = shared.map((n) => `(${FACET_COLUMN[n]})`).join(', ');
        const sel = shared
          .map((n, i) => `${FACET_COLUMN[n]} AS v${i}, grouping(${FACET_COLUMN[n]}) AS g${i}`)
          .join(', ');
        const r = await c.query<Record<string, string | number | null>>(
          `SELECT ${sel}, count(*) AS n FROM audit_events ${w} GROUP BY GROUPING SETS (${sets})`,
          params,
        );
        shared.forEach((name, i) => {
          out[name] = sorted(
            r.rows
              .filter((x) => Number(x[`g${i}`]) === 0)
              .map((x) => ({ value: fromPgText(x[`v${i}`] as string | null), count: Number(x.n) })),
          );
        });
      }
      for (const name of names) {
        if (out[name]) continue;
        const col = FACET_COLUMN[name];
        const params: unknown[] = [];
        const w = where(filter, params, FACET_FILTER_FIELD[name]);
        params.push(limit);
        const r = await c.query<{ value: string | null; count: string }>(
          `SELECT ${col} AS value, count(*) AS count FROM audit_events ${w} GROUP BY ${col}
           ORDER BY count DESC, value NULLS FIRST LIMIT $${params.length}`,
          params,
        );
        out[name] = r.rows.map((x) => ({ value: fromPgText(x.value), count: Number(x.count) }));
      }
      return out;
    });
  }

  histogram(filter: AuditFilter, targetBuckets = 80): Promise<AuditHistogram> {
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
      const aligned = (t: string | undefined) => t === undefined || Date.parse(t) % MINUTE === 0;
      const fromMinutes =
        bucketMs % MINUTE === 0 && onlyTimeAndOutcome(filter) && aligned(filter.since) && aligned(filter.until);
      let r: { rows: { b: number; n: string; d: string; e: string }[] };
      if (fromMinutes) {
        // Whole minutes in whole buckets: the minute rollup answers.
        const mp: unknown[] = [origin, bucketMs];
        const mw: string[] = [];
        if (filter.since !== undefined) mw.push(`minute >= $${mp.push(new Date(Date.parse(filter.since)))}`);
        if (filter.until !== undefined) mw.push(`minute < $${mp.push(new Date(Date.parse(filter.until)))}`);
        if (filter.outcome?.length) mw.push(`outcome = ANY($${mp.push(filter.outcome)}::text[])`);
        r = await c.query(
          `SELECT floor((extract(epoch FROM minute) * 1000 - $1) / $2)::int AS b, sum(n) AS n,
             coalesce(sum(n) FILTER (WHERE outcome = 'denied'), 0) AS d, coalesce(sum(n) FILTER (WHERE outcome = 'error'), 0) AS e
           FROM audit_minutes ${mw.length ? `WHERE ${mw.join(' AND ')}` : ''} GROUP BY b ORDER BY b`,
          mp,
        );
      } else {
        const bp = [...params, origin, bucketMs];
        r = await c.query<{ b: number; n: string; d: string; e: string }>(
          `SELECT floor((extract(epoch FROM ts) * 1000 - $${bp.length - 1}) / $${bp.length})::int AS b, count(*) AS n,
             count(*) FILTER (WHERE outcome = 'denied') AS d, count(*) FILTER (WHERE outcome = 'error') AS e
           FROM audit_events ${w} GROUP BY b ORDER BY b`,
          bp,
        );
      }
      const byBucket = new Map(r.rows.map((x) => [x.b, x]));
      const count = Math.ceil((to - origin) / bucketMs);
      const buckets: AuditHistogram['buckets'] = [];
      let total = 0;
      for (let i = 0; i < count; i++) {
        const x = byBucket.get(i);
        total += Number(x?.n ?? 0);
        buckets.push({
          start: new Date(origin + i * bucketMs).toISOString(),
          count: Number(x?.n ?? 0),
          denied: Number(x?.d ?? 0),
          error: Number(x?.e ?? 0),
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
