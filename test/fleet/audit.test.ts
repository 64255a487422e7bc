import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEventDraft, AuditFilter, AuditOutcome } from '../../shared/model/audit.js';
import { AuditStore, type IngestRecord } from '../../electron/services/audit/store.js';
import { PgAuditStore } from '../../electron/services/fleet/audit.js';
import { POSTGRES_MIGRATIONS } from '../../electron/services/fleet/migrations.js';
import { grantAdmin, migrateTeamStore, openTeamStore, type TeamStore } from '../../electron/services/fleet/store.js';
import { openDatabase, type Database } from '../../electron/services/store/database.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';

/**
 * The audit timeline in PostgreSQL against the local SQLite timeline, on the same records: the
 * same pages (keyset, newest first), facets, histogram, full-text matches and counts; monthly
 * partitions made on demand and dropped by retention; a connection killed mid-ingest loses nothing
 * committed and a retry duplicates nothing; admins cannot change or delete events.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'audit-pw-8Jt';
const N = 6000;
const BASE = Date.UTC(2026, 6, 20); // three months: July, August, September 2026

function record(i: number): IngestRecord {
  const outcome: AuditOutcome = i % 20 === 0 ? 'denied' : i % 50 === 1 ? 'error' : 'success';
  const time = new Date(BASE + i * 1_000_000).toISOString(); // ~70 days
  const event: AuditEventDraft = {
    time,
    source: i % 3 ? 'toolhive' : 'cf',
    sourceKind: i % 3 ? 'toolhive' : 'contextforge',
    sourceRecordId: `rec-${i}`,
    tenant: `team-${i % 4}`,
    'user.id': `user${i % 37}@corp.example`,
    client: `client-${i % 5}`,
    'client.address': null,
    'mcp.method.name': 'tools/call',
    server: `server-${i % 7}`,
    'gen_ai.tool.name': `tool_${i % 23}`,
    'gen_ai.prompt.name': null,
    'mcp.resource.uri': null,
    outcome,
    reason:
      outcome === 'denied' ? 'policy: tool not allowed for team' : outcome === 'error' ? 'upstream timeout' : null,
    'error.type': outcome === 'error' ? 'timeout' : null,
    durationMs: i % 900,
    'jsonrpc.request.id': String(i),
    'mcp.session.id': `sess-${Math.floor(i / 40)}`,
    original: { id: i, token: 'Bearer abcdefghijklmnopqrstuvwxyz012345' },
  };
  return { event, key: `rec-${i}` };
}
const records = (from = 0, to = N) => Array.from({ length: to - from }, (_, k) => record(from + k));

describe('audit timeline in PostgreSQL (real cluster) vs the local timeline', { skip }, () => {
  let owner: TeamStore;
  let admin: TeamStore;
  let pgAudit: PgAuditStore;
  let local: AuditStore;
  let db: Database;
  let dir = '';

  before(async () => {
    owner = await createTeamStore(cluster, 'audit', { password: PW, admins: ['audit_admin'], max: 2 });
    admin = openTeamStore(cluster.url('audit', 'audit_admin', PW), { max: 2, application: 'gatehouse-audit-ingest' });
    pgAudit = new PgAuditStore(admin);
    dir = mkdtempSync(join(tmpdir(), 'gh-pg-audit-'));
    db = openDatabase(join(dir, 'gatehouse.db'));
    local = new AuditStore(db);
    local.insertBatch(records());
  });
  after(async () => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
    await admin?.close();
    await owner?.close();
    await cluster.stop();
  });

  it('a connection killed mid-ingest loses nothing committed; the retry stores every event exactly once', async () => {
    await assert.rejects(
      pgAudit.ingest(records(), {
        chunk: 1000,
        beforeCommit: async (c, chunk) => {
          if (chunk !== 3) return;
          const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          const su = await cluster.connect('audit');
          await su.query('SELECT pg_terminate_backend($1)', [pid]);
          await su.end();
        },
      }),
      /terminat|Connection|connection/,
    );
    // Chunks commit on their own (two in flight): each is stored whole or not at all, the killed one not.
    const stored = await owner.withClient((c) =>
      c.query<{ chunk: number; n: string }>(
        `SELECT (substring(source_record_id from 5)::int / 1000) AS chunk, count(*) AS n FROM audit_events GROUP BY 1`,
      ),
    );
    const byChunk = new Map(stored.rows.map((r) => [r.chunk, Number(r.n)]));
    assert.ok(!byChunk.has(3), 'nothing of the chunk whose connection was killed');
    for (const k of [0, 1, 2]) assert.equal(byChunk.get(k), 1000, `chunk ${k} committed whole`);
    for (const n of byChunk.values()) assert.equal(n, 1000);
    const committed = await pgAudit.count({});
    const retry = await pgAudit.ingest(records(), { chunk: 1000 });
    assert.deepEqual([retry.imported, retry.duplicates], [N - committed, committed]);
    assert.equal(await pgAudit.count({}), N);
    const distinct = await owner.withClient((c) =>
      c.query<{ n: string }>('SELECT count(DISTINCT uid) AS n FROM audit_events'),
    );
    assert.equal(Number(distinct.rows[0]!.n), N);
    // Monthly partitions, made on demand.
    assert.deepEqual(await pgAudit.partitions(), [
      'audit_events_2026_07',
      'audit_events_2026_08',
      'audit_events_2026_09',
    ]);
    // Masked like the local timeline: no bearer token stored.
    const leaked = await owner.withClient((c) =>
      c.query(`SELECT 1 FROM audit_events WHERE original LIKE '%abcdefghijklmnopqrstuvwxyz012345%' LIMIT 1`),
    );
    assert.equal(leaked.rowCount, 0);
  });

  it('a connection killed mid-COPY loses nothing committed; the retry stores each event once and the rollups stay exact', async () => {
    const copyOwner = openTeamStore(await cluster.createDatabase('audit_copy'), { max: 2 });
    await migrateTeamStore(copyOwner);
    await grantAdmin(copyOwner, 'audit_admin');
    const copyAdmin = openTeamStore(cluster.url('audit_copy', 'audit_admin', PW), { max: 2 });
    const copyAudit = new PgAuditStore(copyAdmin);
    try {
      let killedMidCopy = false;
      await assert.rejects(
        copyAudit.ingest(records(), {
          chunk: 1000,
          duringCopy: async (pid, chunk) => {
            if (chunk !== 2) return;
            const su = await cluster.connect('audit_copy');
            // The backend is inside COPY FROM STDIN (half the chunk sent) when it is terminated.
            const state = await su.query<{ query: string }>('SELECT query FROM pg_stat_activity WHERE pid = $1', [pid]);
            killedMidCopy = /^COPY audit_stage/.test(state.rows[0]?.query ?? '');
            await su.query('SELECT pg_terminate_backend($1)', [pid]);
            await su.end();
          },
        }),
        /terminat|Connection|connection/,
      );
      assert.ok(killedMidCopy, 'the backend was killed during its COPY');
      const stored = await copyOwner.withClient((c) =>
        c.query<{ chunk: number; n: string }>(
          `SELECT (substring(source_record_id from 5)::int / 1000) AS chunk, count(*) AS n FROM audit_events GROUP BY 1`,
        ),
      );
      const byChunk = new Map(stored.rows.map((r) => [r.chunk, Number(r.n)]));
      assert.ok(!byChunk.has(2), 'nothing of the chunk whose COPY was cut');
      for (const k of [0, 1]) assert.equal(byChunk.get(k), 1000, `chunk ${k} committed whole`);
      for (const n of byChunk.values()) assert.equal(n, 1000);
      const committed = await copyAudit.count({});
      const retry = await copyAudit.ingest(records(), { chunk: 700 });
      assert.deepEqual([retry.imported, retry.duplicates], [N - committed, committed]);
      assert.equal(await copyAudit.count({}), N);
      // Rollups (facets and histogram answered from them) count every event once, as the local timeline.
      assert.deepEqual(await copyAudit.facets({}), local.facets({}));
      assert.deepEqual(await copyAudit.histogram({}), local.histogram({}));
      assert.deepEqual(await copyAudit.facets({ outcome: ['denied'] }), local.facets({ outcome: ['denied'] }));
    } finally {
      await copyAdmin.close();
      await copyOwner.close();
    }
  });

  it('migration 6 recomputes every rollup from the events (events stored before migration 5 had none)', async () => {
    const m = openTeamStore(await cluster.createDatabase('audit_m5'), { max: 1 });
    try {
      assert.deepEqual(await migrateTeamStore(m, POSTGRES_MIGRATIONS.slice(0, 5)), [1, 2, 3, 4, 5]);
      // Events written the way a pre-rollup version did: rows only, the rollups left empty.
      const some = records(0, 800).map((r) => r.event);
      await m.withClient(async (c) => {
        await c.query(`SELECT audit_ensure_partitions($1, $2)`, [some[0]!.time, some.at(-1)!.time]);
        await c.query(
          `INSERT INTO audit_events (uid, ts, source, source_kind, source_record_id, tenant, user_id, client, method, server, tool, outcome)
           SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`,
          [
            some.map((_, i) => i + 1),
            some.map((e) => e.time),
            some.map((e) => e.source),
            some.map((e) => e.sourceKind),
            some.map((e) => e.sourceRecordId),
            some.map((e) => e.tenant),
            some.map((e) => e['user.id']),
            some.map((e) => e.client),
            some.map((e) => e['mcp.method.name']),
            some.map((e) => e.server),
            some.map((e) => e['gen_ai.tool.name']),
            some.map((e) => e.outcome),
          ],
        );
      });
      assert.deepEqual(
        await migrateTeamStore(m),
        POSTGRES_MIGRATIONS.map((x) => x.version).filter((v) => v > 5),
      );
      const mAudit = new PgAuditStore(m);
      const d = mkdtempSync(join(tmpdir(), 'gh-pg-audit-m5-'));
      const ldb = openDatabase(join(d, 'gatehouse.db'));
      try {
        const l = new AuditStore(ldb);
        l.insertBatch(records(0, 800));
        for (const f of [{}, { outcome: ['denied' as const] }]) {
          assert.equal(await mAudit.count(f), l.count(f));
          assert.deepEqual(await mAudit.facets(f), l.facets(f));
          assert.deepEqual(await mAudit.histogram(f), l.histogram(f));
        }
      } finally {
        ldb.close();
        rmSync(d, { recursive: true, force: true });
      }
    } finally {
      await m.close();
    }
  });

  const filters: [string, AuditFilter][] = [
    ['everything', {}],
    ['one tenant, denied', { tenant: ['team-1'], outcome: ['denied'] }],
    ['subject', { subject: ['user5@corp.example', 'client-2'] }],
    [
      'time window',
      { since: new Date(BASE + 1_000_000_000).toISOString(), until: new Date(BASE + 3_000_000_000).toISOString() },
    ],
    ['full text (word)', { text: 'timeout' }],
    ['full text (prefix, e-mail)', { text: 'user1 corp.exa' }],
    ['full text + facet', { text: 'tool_5', server: ['server-5'] }],
    ['excluded values (events without one kept)', { exclude: { tenant: ['team-1'], outcome: ['success'] } }],
    ['excluded subject', { exclude: { subject: ['user5@corp.example'] } }],
    // Rollup paths: outcome only (totals, hours), excluded outcomes folded into the outcome list.
    ['outcomes only', { outcome: ['denied', 'error'] }],
    ['excluded outcome', { exclude: { outcome: ['success'] } }],
    ['included and excluded values', { tenant: ['team-1', 'team-2'], exclude: { tenant: ['team-2'] } }],
    ['every included value excluded', { tenant: ['team-1'], exclude: { tenant: ['team-1'] } }],
    // Histograms: whole hours from the hour rollup, edges from minutes and events, minute buckets.
    [
      'window off the minute',
      { since: new Date(BASE + 1_234_567).toISOString(), until: new Date(BASE + 4_000_000_123).toISOString() },
    ],
    [
      'window on hours, with outcome',
      {
        since: new Date(BASE + 5 * 3_600_000).toISOString(),
        until: new Date(BASE + 40 * 86_400_000).toISOString(),
        outcome: ['denied'],
      },
    ],
    [
      'three hours (five-minute buckets)',
      { since: new Date(BASE + 1e9 + 30_000).toISOString(), until: new Date(BASE + 1e9 + 3 * 3_600_000).toISOString() },
    ],
  ];
  const comparable = (p: { events: { sourceRecordId: string | null; time: string; outcome: string }[] }) =>
    p.events.map((e) => [e.sourceRecordId, e.time, e.outcome]);

  for (const [name, filter] of filters) {
    it(`same results as SQLite: ${name}`, async () => {
      assert.equal(await pgAudit.count(filter), local.count(filter));
      assert.deepEqual(
        comparable(await pgAudit.query(filter, { limit: 50 })),
        comparable(local.query(filter, { limit: 50 })),
      );
      assert.deepEqual(await pgAudit.facets(filter), local.facets(filter));
      assert.deepEqual(await pgAudit.histogram(filter), local.histogram(filter));
      assert.deepEqual(await pgAudit.histogram(filter, 300), local.histogram(filter, 300));
      // Facet search (ASCII case folding), a small limit (ties cut as locally), one facet at a time.
      for (const search of ['er', 'TEAM-', '@corp', 'zzz'])
        assert.deepEqual(
          await pgAudit.facets(filter, undefined, 5, search),
          local.facets(filter, undefined, 5, search),
        );
      for (const name of ['tenant', 'outcome', 'subject'] as const)
        assert.deepEqual(await pgAudit.facets(filter, [name], 3), local.facets(filter, [name], 3));
      const page = await pgAudit.query(filter, { limit: 5, withTotal: true });
      assert.equal(page.total, local.count(filter));
    });
  }

  it('keyset pages walk every match once, newest first', async () => {
    const filter: AuditFilter = { tenant: ['team-2'] };
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await pgAudit.query(filter, { cursor, limit: 200, withTotal: pages === 0 });
      if (pages === 0) assert.equal(page.total, N / 4);
      seen.push(...page.events.map((e) => e.sourceRecordId!));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(seen.length, N / 4);
    assert.equal(new Set(seen).size, N / 4);
    assert.deepEqual(seen.slice(0, 3), ['rec-5998', 'rec-5994', 'rec-5990']);
  });

  // Page-by-page parity in both orders: every page forward, back from every page to the start,
  // jumps to a time (before, inside, on an event, after), and back from each jump.
  type Page = { events: { sourceRecordId: string | null; time: string; outcome: string }[] } & {
    nextCursor: string | null;
    prevCursor: string | null;
  };
  const shape = (p: Page) => ({ events: comparable(p), next: p.nextCursor !== null, prev: p.prevCursor !== null });
  const paging: [string, AuditFilter, number][] = [
    ['one server', { server: ['server-3'] }, 97],
    ['full text', { text: 'timeout' }, 13],
    ['everything', {}, 700],
    [
      'excluded tenant in a window',
      { exclude: { tenant: ['team-0'] }, since: new Date(BASE + 2e9).toISOString() },
      150,
    ],
    ['nothing', { tenant: ['nobody'] }, 10],
  ];
  for (const [name, filter, limit] of paging)
    for (const order of ['newest', 'oldest'] as const) {
      it(`paging like SQLite (${order} first, ${name}): forward, back from every page, jumps`, async () => {
        const walk: [Page, Page][] = [];
        let [pc, lc]: (string | null)[] = [null, null];
        do {
          const pair: [Page, Page] = [
            await pgAudit.query(filter, { limit, order, cursor: pc }),
            local.query(filter, { limit, order, cursor: lc }),
          ];
          assert.deepEqual(shape(pair[0]), shape(pair[1]), `page ${walk.length}`);
          walk.push(pair);
          [pc, lc] = [pair[0].nextCursor, pair[1].nextCursor];
        } while (pc && lc && walk.length < 100);
        assert.equal(
          walk.reduce((a, [p]) => a + p.events.length, 0),
          local.count(filter),
        );
        // Back from the start of every later page, then on back to the list's start.
        for (let k = 1; k < walk.length; k++) {
          let [bp, bl] = [walk[k - 1]![0].nextCursor, walk[k - 1]![1].nextCursor];
          let steps = 0;
          while (bp && bl) {
            const p = await pgAudit.query(filter, { limit, order, cursor: bp, direction: 'prev' });
            const l = local.query(filter, { limit, order, cursor: bl, direction: 'prev' });
            assert.deepEqual(shape(p), shape(l), `back from page ${k}, step ${steps}`);
            [bp, bl] = [p.prevCursor, l.prevCursor];
            steps++;
          }
          assert.equal(bp, null);
          assert.equal(bl, null);
          assert.equal(steps, k);
        }
        const times = [
          BASE - 1e9,
          BASE + 1_000_000 * 1234,
          BASE + 1_000_000 * 2500 + 1,
          BASE + 1_000_000 * 4000 - 1,
          BASE + 1e11,
        ];
        for (const t of times) {
          const at = new Date(t).toISOString();
          const p = await pgAudit.query(filter, { limit, order, at });
          const l = local.query(filter, { limit, order, at });
          assert.deepEqual(shape(p), shape(l), `jump to ${at}`);
          if (p.prevCursor && l.prevCursor) {
            const pb = await pgAudit.query(filter, { limit, order, cursor: p.prevCursor, direction: 'prev' });
            const lb = local.query(filter, { limit, order, cursor: l.prevCursor, direction: 'prev' });
            assert.deepEqual(shape(pb), shape(lb), `back from the jump to ${at}`);
          }
          if (p.nextCursor && l.nextCursor) {
            const pn = await pgAudit.query(filter, { limit, order, cursor: p.nextCursor });
            const ln = local.query(filter, { limit, order, cursor: l.nextCursor });
            assert.deepEqual(shape(pn), shape(ln), `after the jump to ${at}`);
          }
        }
      });
    }

  it('get(id) reads one event through an index (every partition probed by id, none scanned)', async () => {
    const page = await pgAudit.query({ tenant: ['team-3'] }, { limit: 5 });
    for (const e of page.events) assert.deepEqual(await pgAudit.get(e.id), e);
    assert.equal(await pgAudit.get('999999999999'), null);
    assert.equal(await pgAudit.get('not-an-id'), null);
    assert.equal(await pgAudit.get('99999999999999999999999'), null);
    const plan = await owner.withClient((c) =>
      c.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT * FROM audit_events WHERE id = $1::bigint`, [
        page.events[0]!.id,
      ]),
    );
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.doesNotMatch(text, /Seq Scan/, text);
    assert.match(text, /Index Scan (using|on) audit_events_2026_0\d_id_idx/, text);
    for (const part of await pgAudit.partitions()) assert.match(text, new RegExp(`(using|on) ${part}_id_idx`), text);
  });

  it('admins cannot change or delete events; retention drops whole months', async () => {
    for (const sql of [
      `UPDATE audit_events SET outcome = 'success'`,
      'DELETE FROM audit_events',
      'TRUNCATE audit_events',
    ])
      await assert.rejects(
        admin.withClient((c) => c.query(sql)),
        /permission denied|must be owner/,
        sql,
      );
    const july = await pgAudit.count({ until: '2026-08-01T00:00:00Z' });
    assert.ok(july > 0);
    assert.deepEqual(await pgAudit.dropBefore(new Date('2026-08-15T00:00:00Z')), ['audit_events_2026_07']);
    assert.equal(await pgAudit.count({}), N - july);
    assert.deepEqual(await pgAudit.partitions(), ['audit_events_2026_08', 'audit_events_2026_09']);
    // The rollups lost the dropped month too: facets and histogram (read from them) still add up.
    const rest = N - july;
    const facets = await pgAudit.facets({}, ['outcome', 'tenant']);
    assert.equal(
      facets.outcome!.reduce((a, f) => a + f.count, 0),
      rest,
    );
    assert.equal(
      facets.tenant!.reduce((a, f) => a + f.count, 0),
      rest,
    );
    assert.equal((await pgAudit.histogram({})).total, rest);
  });
  it('hostile values (tabs, newlines, backslashes, NULs, quotes, COPY markers, unicode) round-trip as in the local timeline', async () => {
    const nasty = [
      'tab\there',
      'line\nbreak\r\ncrlf',
      'back\\slash \\N \\. \\t',
      '\\.',
      'nul\u0000inside\u0000',
      '\u0000',
      'private \ue000 use \ue000\ue0000 \ue000\u0000',
      `quotes ' " \` , ; csv,"x"`,
      'unicode: émoji 🚀 中文 עברית \u2028 \u00a0 e\u0301',
      '',
      ' ',
    ];
    const hostile: IngestRecord[] = nasty.map((v, i) => {
      const base = record(N + 100 + i).event;
      const event: AuditEventDraft = {
        ...base,
        time: new Date(Date.UTC(2026, 8, 28) + i * 1000).toISOString(),
        source: 'hostile',
        sourceRecordId: `hostile-${i}`,
        tenant: v,
        'user.id': `${v}@x`,
        client: v,
        server: `srv ${v}`,
        'gen_ai.tool.name': v,
        reason: v,
        'mcp.resource.uri': v,
        'mcp.session.id': v,
        original: { v, nested: { v } },
      };
      return { event, key: `hostile-${i}` };
    });
    local.insertBatch(hostile);
    const res = await pgAudit.ingest(hostile);
    assert.equal(res.imported, nasty.length);
    const f: AuditFilter = { source: ['hostile'] };
    const strip = (p: { events: Record<string, unknown>[] }) => p.events.map(({ id: _id, ...e }) => e);
    const pgPage = await pgAudit.query(f, { limit: 50 });
    assert.deepEqual(strip(pgPage), strip(local.query(f, { limit: 50 })));
    assert.equal(pgPage.events.length, nasty.length);
    // Exactly the values sent, not merely the same as SQLite.
    assert.deepEqual(
      pgPage.events.map((e) => e.tenant).reverse(),
      hostile.map((r) => r.event.tenant),
    );
    const one = await pgAudit.get(pgPage.events[0]!.id);
    assert.deepEqual(one, pgPage.events[0]);
    // (Not the source facet: it ignores its own selection, and the team timeline dropped July above.)
    const names = ['tenant', 'subject', 'client', 'server', 'tool', 'method', 'outcome'] as const;
    assert.deepEqual(await pgAudit.facets(f, names, 20), local.facets(f, names, 20));
    // A hostile value selects its events like any other (filters are encoded as stored).
    for (const v of nasty) {
      const sel: AuditFilter = { source: ['hostile'], tenant: [v] };
      assert.equal(await pgAudit.count(sel), 1, JSON.stringify(v));
      assert.equal(await pgAudit.count({ source: ['hostile'], exclude: { tenant: [v] } }), nasty.length - 1);
    }
  });
});
