import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rng, synthetic } from '../../../bench/audit.js';
import type { AuditFilter } from '../../../shared/model/audit.js';
import { cliContext } from '../../../test/support/node-context.js';
import { createAdminHandlers } from '../admin-service.js';
import { openDatabase, type Database } from '../store/database.js';
import { markSearchPending, searchState } from './search-catchup.js';
import { AuditStore, COLUMN_INDEXES, type IngestRecord } from './store.js';

/**
 * A bulk load (indexes and full-text rows built after the import, issue #13 item 4) stores exactly
 * what row-by-row ingest stores: same rows (masked), same full-text matches, same rollups.
 */

const N = 4000;
const BATCH = 500;
const SECRET = 'sk-live-9f8e7d6c5b4a39281706ABCDEFfedcba';
const GH = 'ghp_0123456789abcdefghijABCDEFGHIJ0123456789';

function records(): IngestRecord[] {
  const r = rng(11);
  const recs = Array.from({ length: N }, (_, i) => synthetic(i, N, r));
  // Masked canaries in normalized fields and in the original record.
  for (const [i, rec] of recs.entries()) {
    if (i % 397 !== 5) continue;
    rec.event.reason = `upstream refused Bearer ${SECRET}`;
    rec.event['mcp.resource.uri'] = `https://ci:${GH}@git.example.com/repo`;
    rec.event.original = { ...(rec.event.original as object), headers: { authorization: `Bearer ${SECRET}` } };
  }
  // Duplicates within the input: stored once either way.
  return [...recs, ...recs.slice(100, 160)];
}

let dir: string;
const open: Database[] = [];
function fresh(name: string): { db: Database; store: AuditStore } {
  const db = openDatabase(join(dir, name, 'gatehouse.db'));
  open.push(db);
  return { db, store: new AuditStore(db) };
}

async function ingest(store: AuditStore, recs: IngestRecord[], bulk: boolean, during?: () => void): Promise<void> {
  const loop = async () => {
    for (let i = 0; i < recs.length; i += BATCH) {
      store.insertBatch(recs.slice(i, i + BATCH));
      if (i === 0) during?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  // minEvents 1: the bulk path at test size (it starts at 50,000 events otherwise).
  if (bulk) await store.bulk(recs.length, loop, 1);
  else await loop();
}

const dump = (db: Database, sql: string) => {
  const st = db.prepare(sql);
  st.setReadBigInts(true); // the 63-bit dedupe uid
  return st.all();
};
const ftsIds = (db: Database, q: string) =>
  (
    db.prepare('SELECT rowid AS id FROM audit_fts WHERE audit_fts MATCH ? ORDER BY rowid').all(q) as { id: number }[]
  ).map((r) => r.id);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-bulk-ingest-'));
});
after(() => {
  for (const db of open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bulk audit ingest', () => {
  it('stores the same rows, full-text index and rollups as row-by-row ingest', async () => {
    const recs = records();
    const a = fresh('rows');
    const b = fresh('bulk');
    await ingest(a.store, recs, false);
    await ingest(b.store, recs, true);
    assert.equal(searchState(b.db), 'ready');
    const rows = 'SELECT * FROM audit_events ORDER BY id';
    assert.equal((dump(a.db, 'SELECT COUNT(*) AS n FROM audit_events')[0] as { n: bigint }).n, BigInt(N));
    assert.deepEqual(dump(b.db, rows), dump(a.db, rows));
    for (const t of ['audit_minutes', 'audit_hours', 'audit_facet_days'])
      assert.deepEqual(
        dump(b.db, `SELECT * FROM ${t} ORDER BY 1, 2, 3`),
        dump(a.db, `SELECT * FROM ${t} ORDER BY 1, 2, 3`),
      );
    for (const q of ['"timeout"', '"team"*', '"upstream" AND "refused"', '"git"', '"sess"*', '"bench"*'])
      assert.deepEqual(ftsIds(b.db, q), ftsIds(a.db, q), q);
    // Every index is back after the load.
    const idx = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_events' ORDER BY name";
    assert.deepEqual(dump(b.db, idx), dump(a.db, idx));
    const filters: AuditFilter[] = [{}, { tenant: ['team-2'] }, { text: 'upstream refused' }, { outcome: ['error'] }];
    for (const f of filters) {
      assert.deepEqual(b.store.facets(f), a.store.facets(f));
      assert.deepEqual(b.store.histogram(f), a.store.histogram(f));
      assert.deepEqual(
        b.store.query(f, { limit: 50, withTotal: true }),
        a.store.query(f, { limit: 50, withTotal: true }),
      );
    }
    // The canaries are stored masked, in the rows and in what search can find.
    const all = JSON.stringify(dump(b.db, rows), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    assert.ok(all.includes('upstream refused'));
    assert.ok(!all.includes(SECRET) && !all.includes(SECRET.slice(8, 30)));
    assert.ok(!all.includes(GH) && !all.includes(GH.slice(4, 30)));
    assert.deepEqual(ftsIds(b.db, `"${SECRET.slice(8)}"`), []);
    assert.equal(b.store.query({ text: 'upstream refused' }, { limit: 100 }).events.length, 11);
  });

  it('search reports catching-up during the load and ready after it; facets answer throughout', async () => {
    const root = join(dir, 'serve');
    const ctx = cliContext(root);
    open.push(ctx.db);
    const handlers = createAdminHandlers(ctx);
    const search = { filter: { text: 'timeout' }, limit: 20, withTotal: false };
    const store = new AuditStore(ctx.db);
    const recs = records();
    let during: { search?: string; found: number; facetTotal: number } | null = null;
    // The reference: the same records, loaded before anyone looks.
    await ingest(store, recs, true);
    // A second load into a fresh folder, observed from the API between its batches.
    const ctx2 = cliContext(root, join(root, '2'));
    open.push(ctx2.db);
    const h2 = createAdminHandlers(ctx2);
    const s2 = new AuditStore(ctx2.db);
    let pending: Promise<void> = Promise.resolve();
    await ingest(s2, recs, true, () => {
      pending = (async () => {
        const page = await h2['audit.query'](search);
        const facets = await h2['audit.facets']({ filter: {}, limit: 12 });
        during = {
          search: page.search,
          found: page.events.length,
          facetTotal: (facets.outcome ?? []).reduce((n, f) => n + f.count, 0),
        };
      })();
    });
    await pending;
    assert.ok(during);
    const seen = during as { search?: string; found: number; facetTotal: number };
    assert.equal(seen.search, 'catching-up');
    assert.equal(seen.found, 0, 'the first batch is stored but not yet searchable');
    assert.equal(seen.facetTotal, BATCH, 'facets already count the stored batch');
    const done = await h2['audit.query'](search);
    assert.equal(done.search, 'ready');
    assert.deepEqual(done.events, (await handlers['audit.query'](search)).events);
    assert.ok(done.events.length > 0);
    // Without a text filter the field is absent (nothing to report).
    assert.equal((await h2['audit.query']({ filter: {}, limit: 1, withTotal: false })).search, undefined);
  });

  it('an interrupted load is caught up when the store is next opened', async () => {
    const { db, store } = fresh('killed');
    await ingest(store, records().slice(0, 1000), false);
    const before = ftsIds(db, '"timeout"');
    assert.ok(before.length > 0);
    // As a killed bulk load leaves it: full-text rows missing, the mark saying from where.
    db.exec('DELETE FROM audit_fts');
    markSearchPending(db, 0);
    assert.equal(searchState(db), 'catching-up');
    assert.deepEqual(ftsIds(db, '"timeout"'), []);
    new AuditStore(db);
    assert.equal(searchState(db), 'ready');
    assert.deepEqual(ftsIds(db, '"timeout"'), before);
  });
  it("an ingest worker's store repairs in turns, one index or full-text chunk per turn", async () => {
    const { db, store } = fresh('worker-repair');
    await ingest(store, records().slice(0, 1000), false);
    const before = ftsIds(db, '"timeout"');
    // As a worker stopped mid-bulk leaves it (this process's pid in the mark): indexes dropped,
    // full-text rows missing.
    const indexes = () =>
      db
        .prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_events'")
        .get() as {
        n: number;
      };
    const all = indexes().n;
    for (const [name] of COLUMN_INDEXES) db.exec(`DROP INDEX ${name}`);
    db.prepare("INSERT INTO audit_settings (key, value_json) VALUES ('bulkLoad', ?)").run(
      JSON.stringify({ pid: process.pid, at: new Date().toISOString() }),
    );
    db.exec('DELETE FROM audit_fts');
    markSearchPending(db, 0);
    let turns = 0;
    let open = 0;
    // Every write transaction of the repair must start inside a turn.
    let begins = 0;
    let beginsWithoutTurn = 0;
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (/^\s*BEGIN/i.test(sql)) {
        begins++;
        if (open !== 1) beginsWithoutTurn++;
      }
      return exec(sql);
    };
    const worker = new AuditStore(db, {
      longWrite: async () => {
        turns++;
        open++;
        return () => open--;
      },
    });
    // Nothing built in the constructor, in one blocking pass.
    assert.equal(indexes().n, all - COLUMN_INDEXES.length);
    assert.equal(searchState(db), 'catching-up');
    await worker.repair();
    assert.equal(indexes().n, all);
    assert.equal(searchState(db), 'ready');
    assert.deepEqual(ftsIds(db, '"timeout"'), before);
    db.exec = exec;
    assert.ok(begins >= COLUMN_INDEXES.length + 1, `an index or full-text chunk per transaction (${begins})`);
    assert.equal(beginsWithoutTurn, 0, 'every transaction in a turn of its own');
    assert.ok(turns >= begins);
    assert.equal(open, 0, 'every turn given back');
    // Nothing left to repair: no turn taken at all.
    const taken = turns;
    await worker.repair();
    assert.equal(turns, taken);
    assert.equal(db.prepare("SELECT count(*) AS n FROM audit_settings WHERE key = 'bulkLoad'").get()?.n, 0);
  });
});
