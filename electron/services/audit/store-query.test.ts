import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AuditFacetName,
  type AuditEventDraft,
  type AuditFilter,
  type AuditOutcome,
  type FacetCount,
} from '../../../shared/model/audit.js';
import { openDatabase, type Database } from '../store/database.js';
import { FACET_FILTER_FIELD } from './columns.js';
import { AUDIT_MIGRATIONS } from './migrations.js';
import { AuditStore, omitField, topValues } from './store.js';

/**
 * The Audit page's queries on a real SQLite store with generated events, each checked against the
 * same filter evaluated in plain JavaScript over the generated drafts: exclusions (which keep events
 * with no value), facet search and limit, oldest-first order, paging both ways and jumping to a time.
 */

const N = 3000;
const BASE = Date.UTC(2026, 9, 1);
const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'];
const SERVERS = ['github', 'filesystem', 'slack', 'postgres'];
const TOOLS = ['create_issue', 'read_file', 'write_file', 'post_message', 'query', 'list_issues'];
const CLIENTS = ['claude-code', 'cursor', 'vscode', 'codex'];

function outcomeOf(i: number): AuditOutcome {
  return i % 10 === 3 ? 'denied' : i % 25 === 7 ? 'error' : 'success';
}

/** Three events per second (ties on the time), some without a user or a tenant. */
function draft(i: number): AuditEventDraft {
  return {
    time: new Date(BASE + Math.floor(i / 3) * 1000).toISOString(),
    source: i % 50 === 0 ? 'other' : 'gen',
    sourceKind: 'jsonl',
    sourceRecordId: `r-${i}`,
    tenant: i % 3 === 0 ? null : `team-${i % 3}`,
    'user.id': i % 7 === 0 ? null : (USERS[i % USERS.length] ?? null),
    client: CLIENTS[i % CLIENTS.length] ?? null,
    'client.address': null,
    'mcp.method.name': 'tools/call',
    server: SERVERS[i % SERVERS.length] ?? null,
    'gen_ai.tool.name': TOOLS[i % TOOLS.length] ?? null,
    'gen_ai.prompt.name': null,
    'mcp.resource.uri': null,
    outcome: outcomeOf(i),
    reason: null,
    'error.type': null,
    durationMs: null,
    'jsonrpc.request.id': null,
    'mcp.session.id': null,
    original: { i },
  };
}

const drafts = Array.from({ length: N }, (_, i) => draft(i));

/** The filter in plain JS (the oracle): lists OR within, AND across; exclusions keep missing values. */
function matches(e: AuditEventDraft, f: AuditFilter): boolean {
  const ts = Date.parse(e.time);
  if (f.since && ts < Date.parse(f.since)) return false;
  if (f.until && ts >= Date.parse(f.until)) return false;
  const fields: [keyof AuditFilter & keyof NonNullable<AuditFilter['exclude']>, string | null][] = [
    ['tenant', e.tenant],
    ['user', e['user.id']],
    ['client', e.client],
    ['server', e.server],
    ['tool', e['gen_ai.tool.name']],
    ['method', e['mcp.method.name']],
    ['outcome', e.outcome],
    ['source', e.source],
  ];
  for (const [k, v] of fields) {
    const inc = f[k] as string[] | undefined;
    if (inc?.length && (v === null || !inc.includes(v))) return false;
    const exc = f.exclude?.[k] as string[] | undefined;
    if (exc?.length && v !== null && exc.includes(v)) return false;
  }
  if (f.text) {
    const body = [e.tenant, e['user.id'], e.client, e['mcp.method.name'], e.server, e['gen_ai.tool.name']]
      .join(' ')
      .toLowerCase();
    if (!body.includes(f.text.toLowerCase())) return false;
  }
  const subj = [e['user.id'], e.client].filter((v): v is string => v !== null);
  if (f.subject?.length && !subj.some((v) => f.subject?.includes(v))) return false;
  if (f.exclude?.subject?.length && subj.some((v) => f.exclude?.subject?.includes(v))) return false;
  return true;
}
const expected = (f: AuditFilter) => drafts.filter((e) => matches(e, f));

let dir: string;
let db: Database;
let store: AuditStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-query-'));
  db = openDatabase(join(dir, 'q.db'));
  store = new AuditStore(db);
  const r = store.insertBatch(drafts.map((event, i) => ({ event, key: `k-${i}` })));
  assert.equal(r.imported, N);
});
after(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every event of a filter, walking the pages in one order. */
function walk(filter: AuditFilter, order: 'newest' | 'oldest', limit = 97): { ids: string[]; times: string[] } {
  const ids: string[] = [];
  const times: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = store.query(filter, { cursor, limit, order });
    for (const e of page.events) {
      ids.push(e.id);
      times.push(e.time);
    }
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { ids, times };
}

describe('exclude filters', () => {
  const cases: [string, AuditFilter][] = [
    ['not outcome=success (rollups)', { exclude: { outcome: ['success'] } }],
    [
      'not outcome=success in a time range',
      { since: new Date(BASE + 100_000).toISOString(), exclude: { outcome: ['success'] } },
    ],
    ['not user=alice keeps events without a user', { exclude: { user: ['alice@example.com'] } }],
    ['not tenant=team-1 keeps events without a tenant', { exclude: { tenant: ['team-1'] } }],
    [
      'two exclusions and an include',
      { server: ['github', 'slack'], exclude: { tenant: ['team-2'], source: ['other'] } },
    ],
    [
      'include minus exclude on one field',
      { user: ['alice@example.com', 'bob@example.com'], exclude: { user: ['bob@example.com'] } },
    ],
    ['not subject (user or client)', { exclude: { subject: ['cursor', 'alice@example.com'] } }],
    ['exclusion with full-text search', { text: 'github', exclude: { outcome: ['denied'] } }],
  ];
  for (const [name, f] of cases) {
    test(`${name}: count, pages and histogram match the oracle`, () => {
      const want = expected(f);
      assert.ok(want.length > 0 && want.length < N, `the case selects some events (${want.length})`);
      assert.equal(store.count(f), want.length);
      const page = store.query(f, { limit: 500, withTotal: true });
      assert.equal(page.total, want.length);
      const got = walk(f, 'newest');
      assert.equal(got.ids.length, want.length);
      const rows = got.ids.map((id) => store.get(id));
      assert.ok(
        rows.every((e) => e !== null && matches(e, f)),
        'every listed event matches',
      );
      const h = store.histogram(f, 40);
      assert.equal(h.total, want.length);
      assert.equal(
        h.buckets.reduce((a, b) => a + b.denied, 0),
        want.filter((e) => e.outcome === 'denied').length,
      );
      assert.ok(h.buckets.every((b) => b.count >= 0 && b.denied >= 0 && b.error >= 0));
    });
  }

  test('excluding every listed value matches nothing (not everything)', () => {
    const f: AuditFilter = { user: ['alice@example.com'], exclude: { user: ['alice@example.com'] } };
    assert.equal(store.count(f), 0);
    assert.deepEqual(store.query(f, { limit: 10, withTotal: true }).events, []);
    assert.equal(store.histogram(f).total, 0);
    assert.equal(store.count({ exclude: { outcome: ['success', 'denied', 'error'] } }), 0);
  });

  test('a facet ignores its own exclusion (the excluded value keeps its count); others apply it', () => {
    const f: AuditFilter = { exclude: { outcome: ['success'], user: ['dave@example.com'] } };
    const facets = store.facets(f, ['outcome', 'subject', 'server'], 20);
    const outcomeWant = expected({ exclude: { user: ['dave@example.com'] } });
    assert.equal(
      facets.outcome?.find((v) => v.value === 'success')?.count,
      outcomeWant.filter((e) => e.outcome === 'success').length,
    );
    const subjWant = expected({ exclude: { outcome: ['success'] } });
    assert.equal(
      facets.subject?.find((v) => v.value === 'dave@example.com')?.count,
      subjWant.filter((e) => e['user.id'] === 'dave@example.com').length,
    );
    const want = expected(f);
    for (const s of SERVERS)
      assert.equal(facets.server?.find((v) => v.value === s)?.count, want.filter((e) => e.server === s).length, s);
  });
});

describe('facet search and limit', () => {
  test('search keeps values containing the text, case-insensitively, with counts under the filter', () => {
    for (const f of [
      {},
      { outcome: ['denied'] },
      { outcome: ['error'] },
      { since: new Date(BASE).toISOString() },
    ] as AuditFilter[]) {
      const r = store.facets(f, ['subject', 'server', 'tool', 'outcome'], 50, 'IS');
      const want = expected(f);
      const tools = new Map<string, number>();
      for (const e of want) {
        const t = e['gen_ai.tool.name'] ?? '';
        if (t.includes('is')) tools.set(t, (tools.get(t) ?? 0) + 1);
      }
      assert.ok(tools.size > 0);
      assert.deepEqual(
        Object.fromEntries((r.tool ?? []).map((v) => [v.value, v.count])),
        Object.fromEntries(tools),
        `tools containing "is" (${JSON.stringify(f)})`,
      );
      assert.deepEqual(r.outcome, []);
      assert.deepEqual(
        store.facets(f, ['subject'], 50, 'ALI').subject?.map((v) => v.value),
        want.some((e) => e['user.id'] === 'alice@example.com') ? ['alice@example.com'] : [],
      );
      assert.deepEqual(
        store.facets(f, ['outcome'], 50, 'deni').outcome?.map((v) => v.value),
        ['denied'],
      );
    }
  });

  test('LIKE wildcards in the search are literal', () => {
    assert.deepEqual(store.facets({}, ['tool', 'subject'], 50, '%'), { tool: [], subject: [] });
    assert.equal(store.facets({}, ['tool'], 50, '_').tool?.length, 5, 'underscore is a character, not any');
  });

  test('limit returns the most frequent values first; a larger limit returns more', () => {
    const top2 = store.facets({}, ['tool'], 2).tool ?? [];
    const all = store.facets({}, ['tool'], 100).tool ?? [];
    assert.equal(top2.length, 2);
    assert.equal(all.length, TOOLS.length);
    assert.deepEqual(top2, all.slice(0, 2));
    assert.ok(all.every((v, i) => i === 0 || (all[i - 1]?.count ?? 0) >= v.count));
  });
});

describe('order, paging both ways, jump to time', () => {
  test('oldest first walks every event once in ascending (time, id) order; the reverse of newest first', () => {
    const f: AuditFilter = { exclude: { outcome: ['error'] } };
    const oldest = walk(f, 'oldest');
    const newest = walk(f, 'newest');
    assert.equal(oldest.ids.length, expected(f).length);
    assert.equal(new Set(oldest.ids).size, oldest.ids.length, 'no event twice');
    assert.deepEqual(oldest.ids, [...newest.ids].reverse());
    assert.equal(oldest.times[0], drafts[0]?.time);
    const first = store.query(f, { limit: 5, order: 'oldest' });
    assert.equal(first.prevCursor, null, 'the first page has nothing before it');
  });

  for (const order of ['newest', 'oldest'] as const) {
    test(`${order} first: prevCursor pages back to exactly the pages before`, () => {
      const f: AuditFilter = { server: ['github', 'slack'] };
      const pages = [store.query(f, { limit: 50, order })];
      for (let i = 0; i < 4; i++) {
        const next = pages[pages.length - 1]?.nextCursor;
        assert.ok(next);
        pages.push(store.query(f, { limit: 50, order, cursor: next }));
      }
      // From page 4 back to page 0, one page at a time.
      let cursor = pages[4]?.prevCursor ?? null;
      for (let i = 3; i >= 0; i--) {
        assert.ok(cursor, `page ${i + 1} has a prevCursor`);
        const back = store.query(f, { limit: 50, order, cursor, direction: 'prev' });
        assert.deepEqual(
          back.events.map((e) => e.id),
          pages[i]?.events.map((e) => e.id),
          `page ${i} read backwards`,
        );
        cursor = back.prevCursor;
      }
      assert.equal(cursor, null, 'nothing before the first page');
    });
  }

  test('jump to a time: the page starts at the first event at/before it (newest) or at/after it (oldest)', () => {
    const f: AuditFilter = { exclude: { user: ['bob@example.com'] } };
    const want = expected(f);
    const at = new Date(BASE + 500_500).toISOString(); // between two seconds
    const atMs = Date.parse(at);
    const newest = store.query(f, { limit: 20, at });
    const firstNewest = [...want].reverse().find((e) => Date.parse(e.time) <= atMs);
    assert.equal(newest.events[0]?.time, firstNewest?.time);
    assert.ok(newest.events.every((e) => Date.parse(e.time) <= atMs));
    const oldest = store.query(f, { limit: 20, at, order: 'oldest' });
    assert.equal(oldest.events[0]?.time, want.find((e) => Date.parse(e.time) >= atMs)?.time);
    assert.ok(oldest.events.every((e) => Date.parse(e.time) >= atMs));
    // The other side of the jump: newer events, in list order, ending right before the jump page.
    assert.ok(newest.prevCursor);
    const before = store.query(f, { limit: 20, cursor: newest.prevCursor, direction: 'prev' });
    assert.equal(before.events.length, 20);
    assert.ok(before.events.every((e) => Date.parse(e.time) > atMs));
    const newer = want.filter((e) => Date.parse(e.time) > atMs);
    assert.equal(before.events[before.events.length - 1]?.time, newer[0]?.time);
    // Ties on the jump time: every event of that millisecond is on the page's side.
    const tieAt = drafts[300]?.time ?? '';
    const tie = store.query({}, { limit: 10, at: tieAt });
    assert.deepEqual(
      tie.events.slice(0, 3).map((e) => e.time),
      [tieAt, tieAt, tieAt],
    );
    const tieOld = store.query({}, { limit: 10, at: tieAt, order: 'oldest' });
    assert.deepEqual(
      tieOld.events.slice(0, 3).map((e) => e.time),
      [tieAt, tieAt, tieAt],
    );
  });

  test('jump past the end: an empty page whose prevCursor leads back to the last events', () => {
    const at = new Date(BASE + 10 * 86_400_000).toISOString();
    const page = store.query({}, { limit: 10, at, order: 'oldest' });
    assert.deepEqual(page.events, []);
    assert.equal(page.nextCursor, null);
    assert.ok(page.prevCursor);
    const back = store.query({}, { limit: 10, order: 'oldest', cursor: page.prevCursor, direction: 'prev' });
    assert.equal(back.events[back.events.length - 1]?.time, drafts[N - 1]?.time);
    assert.throws(() => store.query({}, { limit: 10, at: 'yesterday' }), /at: not a date\/time/);
  });
});

/** Facet counts in plain JS: each facet under the filter without its own selection, top `limit`. */
function oracleFacets(f: AuditFilter, limit: number, search?: string): Record<string, FacetCount[]> {
  const valueOf: Record<AuditFacetName, (e: AuditEventDraft) => string | null> = {
    tenant: (e) => e.tenant,
    subject: (e) => e['user.id'],
    client: (e) => e.client,
    server: (e) => e.server,
    tool: (e) => e['gen_ai.tool.name'],
    method: (e) => e['mcp.method.name'],
    outcome: (e) => e.outcome,
    source: (e) => e.source,
  };
  const out: Record<string, FacetCount[]> = {};
  for (const name of AuditFacetName.options) {
    const counts = new Map<string | null, number>();
    for (const e of expected(omitField(f, FACET_FILTER_FIELD[name]))) {
      const v = valueOf[name](e);
      if (search && (v === null || !v.toLowerCase().includes(search.toLowerCase()))) continue;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    // The counts are this test's own; their order (count, then value) is the store's, shared.
    out[name] = topValues(counts, limit);
  }
  return out;
}

/** The rollups row by row, and what the events say they must hold. */
function rollups(d: Database): { stored: unknown[]; recount: unknown[] } {
  const stored = [
    ...d.prepare('SELECT minute AS k, outcome, n FROM audit_minutes ORDER BY 1, 2').all(),
    ...d.prepare('SELECT hour AS k, outcome, n FROM audit_hours ORDER BY 1, 2').all(),
    ...d.prepare("SELECT dim || ':' || day || ':' || value AS k, outcome, n FROM audit_facet_days ORDER BY 1, 2").all(),
  ];
  const recount = [
    ...d.prepare('SELECT ts / 60000 AS k, outcome, COUNT(*) AS n FROM audit_events GROUP BY 1, 2 ORDER BY 1, 2').all(),
    ...d
      .prepare('SELECT ts / 3600000 AS k, outcome, COUNT(*) AS n FROM audit_events GROUP BY 1, 2 ORDER BY 1, 2')
      .all(),
    ...d
      .prepare(
        ['tenant', 'client', 'server', 'tool', 'method', 'source']
          .map(
            (c) =>
              `SELECT '${c}:' || (ts / 86400000) || ':' || COALESCE(${c}, '') AS k, outcome, COUNT(*) AS n FROM audit_events GROUP BY 1, 2`,
          )
          .join(' UNION ALL ')
          .concat(' ORDER BY 1, 2'),
      )
      .all(),
  ];
  return { stored, recount };
}

/** Histogram buckets counted from the drafts (the oracle). */
function oracleHistogram(
  events: AuditEventDraft[],
  h: { from: string | null; to: string | null; bucketMs: number; buckets: { start: string }[] },
) {
  const from = Date.parse(h.from ?? '');
  const to = Date.parse(h.to ?? '');
  return h.buckets.map((b) => {
    const lo = Math.max(from, Date.parse(b.start));
    const hi = Math.min(to, Date.parse(b.start) + h.bucketMs);
    const inside = events.filter((e) => Date.parse(e.time) >= lo && Date.parse(e.time) < hi);
    return {
      start: b.start,
      count: inside.length,
      denied: inside.filter((e) => e.outcome === 'denied').length,
      error: inside.filter((e) => e.outcome === 'error').length,
    };
  });
}

describe('fitsBudget (what the query pool may run on its quick lane)', () => {
  test('true only when the events read are bounded within the cap; rollup-only answers read none', () => {
    const team1 = expected({ tenant: ['team-1'] }).length;
    assert.equal(store.fitsBudget('facets', { tenant: ['team-1'] }, team1), true);
    assert.equal(store.fitsBudget('facets', { tenant: ['team-1'] }, team1 - 1), false);
    // The tenant facet drops its own selection: counted from the rollup, nothing read.
    assert.equal(store.fitsBudget('facets', { tenant: ['team-1'] }, 0, ['tenant', 'outcome']), true);
    // Subject under no filter reads every event: no index bounds it.
    assert.equal(store.fitsBudget('facets', {}, 1_000_000), false);
    assert.equal(store.fitsBudget('facets', {}, 0, ['tool', 'server', 'outcome']), true);
    assert.equal(store.fitsBudget('facets', { outcome: ['denied'] }, 1_000_000, ['subject']), false);
    // Exclusions are bounded by the filter without them.
    // Exclusions are counted by difference: both sides are read (here from the tenant and server indexes).
    const x: AuditFilter = { tenant: ['team-2'], exclude: { server: ['github'] } };
    assert.equal(store.fitsBudget('facets', x, 3 * N), true);
    assert.equal(store.fitsBudget('facets', x, expected({ tenant: ['team-2'] }).length), false);
    // "not tenant=team-1" reads every other event for subject: unbounded.
    assert.equal(store.fitsBudget('facets', { exclude: { tenant: ['team-1'] } }, N), false);
    assert.equal(
      store.fitsBudget('facets', { exclude: { tenant: ['team-1'] } }, N, ['tool', 'outcome', 'tenant']),
      true,
    );
    const text = expected({ text: 'github' }).length;
    assert.equal(store.fitsBudget('facets', { text: 'github' }, text), true);
    assert.equal(store.fitsBudget('facets', { text: 'github' }, text - 1), false);
    assert.equal(store.fitsBudget('histogram', {}, 0), true);
    assert.equal(store.fitsBudget('histogram', { exclude: { outcome: ['success'] } }, 0), true);
    assert.equal(store.fitsBudget('histogram', { server: ['slack'] }, N), true);
    assert.equal(store.fitsBudget('histogram', { server: ['slack'] }, 10), false);
    const range = { since: new Date(BASE).toISOString(), until: new Date(BASE + 60_000).toISOString() };
    assert.equal(store.fitsBudget('facets', range, expected(range).length), true);
    assert.equal(store.fitsBudget('facets', { since: range.since }, N), false, 'an open range is not bounded');
  });
});

describe('facets under a tenant filter (per-tenant rollup)', () => {
  const cases: AuditFilter[] = [
    { tenant: ['team-1'] },
    { tenant: ['team-1', 'team-2'], outcome: ['denied'] },
    { tenant: ['team-2'], exclude: { outcome: ['success'] } },
    { exclude: { tenant: ['team-1'] } },
    { tenant: ['team-1'], exclude: { server: ['github'] } },
    { tenant: ['team-2'], outcome: ['error', 'denied'], exclude: { tenant: ['team-1'] } },
    { tenant: ['team-1'], server: ['slack'] },
    { tenant: ['team-1'], since: new Date(BASE + 100_000).toISOString() },
    { tenant: ['team-1'], exclude: { tenant: ['team-1'] } },
  ];
  for (const f of cases) {
    test(`${JSON.stringify(f)}: every facet and the total equal the oracle`, () => {
      assert.deepEqual(store.facets(f, AuditFacetName.options, 100), oracleFacets(f, 100));
      assert.deepEqual(store.facets(f, AuditFacetName.options, 2), oracleFacets(f, 2), 'top 2 (ties by value)');
      assert.deepEqual(store.facets(f, AuditFacetName.options, 50, 'E'), oracleFacets(f, 50, 'e'), 'search');
      assert.equal(store.count(f), expected(f).length);
      assert.equal(store.query(f, { limit: 5, withTotal: true }).total, expected(f).length);
    });
  }

  test('the rollups hold exactly the events’ counts through inserts, duplicates, deletions and restores', () => {
    const d2 = openDatabase(join(dir, 'rollups.db'));
    try {
      const s2 = new AuditStore(d2);
      // Spread over four days at odd offsets, so hours, minutes and days all have partial edges.
      const spread = drafts.map((e, i) => ({
        ...e,
        time: new Date(BASE + Math.floor((i * 4 * 86_400_000) / N) + (i % 7) * 13_001).toISOString(),
      }));
      const recs = spread.map((event, i) => ({ event, key: `k-${i}` }));
      let live = spread;
      // Two batches that overlap: the duplicates are stored (and counted) once.
      s2.insertBatch(recs.slice(0, 2000));
      assert.equal(s2.insertBatch(recs.slice(1500)).duplicates, 500);
      const same = (what: string) => {
        const r = rollups(d2);
        assert.ok(r.stored.length > 0);
        assert.deepEqual(r.stored, r.recount, what);
        for (const f of cases.slice(0, 4))
          assert.deepEqual(
            s2.facets(f, AuditFacetName.options, 100),
            // A time range since the epoch takes the events path: the same answer without rollups.
            s2.facets({ ...f, since: '1970-01-01T00:00:00.000Z' }, AuditFacetName.options, 100),
            `${what}: ${JSON.stringify(f)}`,
          );
        // Histograms of whole hours (hour rollup, minutes at the edges, events inside the edge minutes).
        for (const [since, until, buckets] of [
          [undefined, undefined, 40],
          [BASE + 3_600_000 * 5 + 61_234, BASE + 3_600_000 * 70 + 1_999, 30],
          [BASE + 1_000, BASE + 3 * 86_400_000 - 59_000, 12],
        ] as const) {
          const f: AuditFilter = {
            since: since === undefined ? undefined : new Date(since).toISOString(),
            until: until === undefined ? undefined : new Date(until).toISOString(),
          };
          const h = s2.histogram(f, buckets);
          assert.equal(h.bucketMs % 3_600_000, 0, `${what}: buckets of whole hours`);
          assert.deepEqual(h.buckets, oracleHistogram(live, h), `${what}: histogram ${JSON.stringify(f)}`);
          const d = s2.histogram({ ...f, outcome: ['denied'] }, buckets);
          assert.deepEqual(
            d.buckets.map((b) => b.count),
            oracleHistogram(
              live.filter((e) => e.outcome === 'denied'),
              d,
            ).map((b) => b.count),
          );
        }
      };
      same('after ingest');
      const bySource = s2.deleteBySource('other');
      assert.ok(bySource.events > 0 && bySource.batch);
      live = live.filter((e) => e.source !== 'other');
      same('after a source removal');
      const cut = BASE + 86_400_000 + 1_234_567;
      const old = s2.deleteOlderThan(cut);
      assert.ok(old.events > 0 && old.batch);
      live = live.filter((e) => Date.parse(e.time) >= cut);
      same('after retention');
      s2.restoreBatch(bySource.batch ?? '');
      // (the source's events come back whatever their age: they left before retention ran)
      live = [...live, ...spread.filter((e) => e.source === 'other')];
      same('after a restore');
      s2.restoreBatch(old.batch ?? '');
      live = spread;
      same('after restoring everything');
      // Migration 308's backfill builds what the upkeep keeps.
      d2.exec('DROP TABLE audit_hours');
      d2.exec(AUDIT_MIGRATIONS.find((m) => m.version === 308)?.sql ?? '');
      same('hours backfilled by migration 308');
    } finally {
      d2.close();
    }
  });
});
